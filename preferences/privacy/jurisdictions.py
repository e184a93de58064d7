"""Where a subject's country puts them, and what a purpose is for them before they
choose: the one place these defaults are configured.

- opt-in (EU/EEA, UK, Switzerland; and any country we do not know: the strictest
  rule is the safe one): nothing based on consent, and no sale or sharing, until
  the person says yes. Legitimate-interest purposes are on, with the right to object.
- opt-out (US states that allow it): consent purposes stay off; legitimate-interest
  purposes, sale and sharing included, are on until the person (or their browser's
  Global Privacy Control signal) says no.

It also says which law's deadline a rights request keeps (`law`, `due_date`).
"""

from datetime import datetime

from dateutil.relativedelta import relativedelta

OPT_IN = "opt_in"
OPT_OUT = "opt_out"

# ISO 3166-1 alpha-2 -> regime. A country not listed is treated as opt-in.
REGIMES: dict[str, str] = {
    **{country: OPT_IN for country in (
        # EU
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        # EEA, UK, Switzerland
        "IS", "LI", "NO", "GB", "CH",
    )},
    "US": OPT_OUT,
}


def regime(country: str | None) -> str:
    return REGIMES.get((country or "").upper(), OPT_IN)


def purpose_default(purpose, country: str | None, *, gpc: bool = False) -> bool:
    """Whether `purpose` is on for a subject from `country` who never chose."""
    if purpose.legal_basis == "consent":
        return False
    if regime(country) == OPT_IN:
        return not purpose.is_sale_or_sharing
    return not (gpc and purpose.is_sale_or_sharing)


# --- rights requests: which law sets the deadline --------------------------------------
# GDPR Art. 12(3): one month from receipt, extendable once by two further months.
# CCPA (Cal. Civ. Code 1798.130(a)(2)): 45 days, extendable once by a further 45.
GDPR = "gdpr"
CCPA = "ccpa"
DEADLINES = {
    GDPR: (relativedelta(months=1), relativedelta(months=2)),
    CCPA: (relativedelta(days=45), relativedelta(days=45)),
}
LAW_NAMES = {GDPR: "GDPR", CCPA: "CCPA"}


def law(country: str | None) -> str:
    """The law whose deadline a request from `country` keeps; the stricter (GDPR's
    shorter month) for a country we do not know."""
    return CCPA if (country or "").upper() == "US" else GDPR


def due_date(law_code: str, received: datetime) -> datetime:
    return received + DEADLINES[law_code][0]


def extended_due_date(law_code: str, due: datetime) -> datetime:
    return due + DEADLINES[law_code][1]
