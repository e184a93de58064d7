"""What detection reports: a kind, where it is, and which rule found it."""

from __future__ import annotations

from typing import NamedTuple


def _registry_kinds() -> tuple[str, ...]:
    from .recognizers import KINDS as registered  # (recognizers never import findings)

    return registered

EMAIL = "EMAIL"
PHONE = "PHONE"
IP_ADDRESS = "IP_ADDRESS"
CREDIT_CARD = "CREDIT_CARD"
IBAN = "IBAN"
US_SSN = "US_SSN"
MAC_ADDRESS = "MAC_ADDRESS"
GPS = "GPS"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
PERSON = "PERSON"
SECRET = "SECRET"  # noqa: S105 (a kind name, not a password)
# Only named by JSON keys in scrub_event (free text has no reliable shape for them).
ADDRESS = "ADDRESS"
POSTCODE = "POSTCODE"

PATTERN_KINDS = (EMAIL, PHONE, IP_ADDRESS, CREDIT_CARD, IBAN, US_SSN, MAC_ADDRESS, GPS, SECRET)
CONTEXT_KINDS = (DATE_OF_BIRTH, PERSON)
# The recognizer registry's kinds: national identifiers, CRYPTO, URL (recognizers/).
REGISTRY_KINDS = _registry_kinds()
KINDS = PATTERN_KINDS + CONTEXT_KINDS + REGISTRY_KINDS


class Finding(NamedTuple):
    """`text[start:end]` is personal data of `kind`; `rule` names the detector that fired.
    (A named tuple: immutable, and built ~2x faster than a frozen dataclass, which counts
    when every log line is scanned.)"""

    kind: str
    start: int
    end: int
    rule: str

    def value(self, text: str) -> str:
        return text[self.start:self.end]
