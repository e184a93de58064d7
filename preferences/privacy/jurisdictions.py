"""Where a subject's country puts them, and what a purpose is for them before they
choose: the one place these defaults are configured.

- opt-in (EU/EEA, UK, Switzerland; and any country we do not know: the strictest
  rule is the safe one): nothing based on consent, and no sale or sharing, until
  the person says yes. Legitimate-interest purposes are on, with the right to object.
- opt-out (US states that allow it): consent purposes stay off; legitimate-interest
  purposes, sale and sharing included, are on until the person (or their browser's
  Global Privacy Control signal) says no.
"""

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
