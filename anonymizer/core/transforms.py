"""Transforms: what a policy does to one personal value.

Each is a small function named for what it does; a catalog entry or a redaction
policy names it. They take the value and keyword options and return the new
value: `None` for `null`, the `DELETE` sentinel for `delete` (the caller removes
the row or key). Pure Python, no Django: the pseudonym key and the token vault
are passed in (`anonymizer.policies` fills them from settings).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol


class _Delete:
    def __repr__(self):
        return "DELETE"


DELETE = _Delete()

# What the transforms that are not idempotent leave in a value, so that a value they
# already made is recognised and not transformed again (`anonymizer.transforming.markers`
# reads these; nothing else spells them out).
PSEUDONYM_PREFIX = "pseu_"
PSEUDONYM_DOMAIN = "pseudonym.invalid"   # a format-preserving pseudonym of an email
TOKEN_PREFIX = "tok_"  # noqa: S105 (a prefix, not a secret)
MASK_RUN = "**"                          # every masked value holds two asterisks in a row

_NOT_DIGIT = re.compile(r"\D")
_SPACES = re.compile(r"\s+")


def redact(value, *, kind: str | None = None) -> str:
    """Replace the value with its kind's label, e.g. `[EMAIL]`."""
    return f"[{kind}]" if kind else "[REDACTED]"


def mask(value, *, kind: str | None = None) -> str:
    """Keep what a support person needs to recognise the value, and no more."""
    text = str(value)
    if kind == "EMAIL" or (kind is None and "@" in text):
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "CREDIT_CARD":
        return "**** **** **** " + _NOT_DIGIT.sub("", text)[-4:]
    if kind == "IBAN":
        compact = _SPACES.sub("", text).upper()
        return compact[:2] + "*" * max(len(compact) - 6, 2) + compact[-4:]
    if kind in ("PHONE", "US_SSN"):
        digits = _NOT_DIGIT.sub("", text)
        shown = 2 if kind == "PHONE" else 4
        return "*" * max(len(digits) - shown, 3) + digits[-shown:]
    if kind == "IP_ADDRESS":
        return generalize(text, kind=kind)
    return text[:1] + "***" if text else ""


def _digest(value, key: bytes) -> bytes:
    text = str(value).strip()
    return hmac.new(key, text.lower().encode(), hashlib.sha256).digest()


def pseudonymise(value, *, key: bytes, kind: str | None = None,
                 format_preserving: bool = False) -> str:
    """A stable stand-in: the same value and key always give the same pseudonym,
    so records can still be joined, but the value cannot be recovered without the key.

    Format-preserving keeps the shape a downstream validator expects: an email
    stays an email (on a reserved domain), an IP stays an IP (in a reserved range),
    and anything else keeps its letters, digits and separators where they were.
    """
    if not key:
        raise ValueError("pseudonymise needs a key")
    digest = _digest(value, key)
    if not format_preserving:
        return PSEUDONYM_PREFIX + digest.hex()[:32]
    if kind == "EMAIL":
        return f"p{digest.hex()[:16]}@{PSEUDONYM_DOMAIN}"
    if kind == "IP_ADDRESS":
        address = ipaddress.ip_address(str(value).strip())
        if address.version == 4:  # 240.0.0.0/4 is reserved: never a real host
            return str(ipaddress.IPv4Address(bytes([240 | digest[0] & 0x0F, *digest[1:4]])))
        return str(ipaddress.IPv6Address(b"\xfd" + digest[1:16]))  # unique local
    return _same_shape(str(value), digest)


def _same_shape(text: str, digest: bytes) -> str:
    """Each letter and digit replaced from a stream keyed by the digest; the rest kept."""
    stream = hashlib.shake_256(digest).digest(max(len(text), 1))
    out = []
    for char, byte in zip(text, stream, strict=False):
        if char.isdigit():
            out.append("0123456789"[byte % 10])
        elif char.isalpha():
            letter = "abcdefghijklmnopqrstuvwxyz"[byte % 26]
            out.append(letter.upper() if char.isupper() else letter)
        else:
            out.append(char)
    return "".join(out)


class Vault(Protocol):
    """Where tokenized values are kept; reading one back is a privileged act."""

    def put(self, value: str, *, kind: str | None) -> str: ...

    def get(self, token: str) -> str | None: ...


class MemoryVault:
    """A vault for one process (the CLI, tests); Hush's own is in the database."""

    def __init__(self):
        self._by_token: dict[str, str] = {}
        self._by_value: dict[tuple[str | None, str], str] = {}

    def put(self, value: str, *, kind: str | None) -> str:
        token = self._by_value.get((kind, value))
        if token is None:
            token = TOKEN_PREFIX + secrets.token_urlsafe(16)
            self._by_token[token] = value
            self._by_value[(kind, value)] = token
        return token

    def get(self, token: str) -> str | None:
        return self._by_token.get(token)


def tokenize(value, *, vault: Vault, kind: str | None = None) -> str:
    """A random token; the value is kept (encrypted) in the vault, reversibly."""
    if vault is None:
        raise ValueError("tokenize needs a vault")
    return vault.put(str(value), kind=kind)


def detokenize(token: str, *, vault: Vault) -> str:
    value = vault.get(token)
    if value is None:
        raise KeyError("unknown token")
    return value


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y",
                 "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y")


def _parse_date(text: str) -> date | None:
    text = text.strip()
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def generalize(value, *, kind: str, level: str | None = None, band: int = 10,
               decimals: int = 2, keep: int | None = None):
    """Coarser but still useful: a network instead of an address, a month instead
    of a day, an age band, a postcode's district, coordinates to about a kilometre.
    Anything that cannot be read as its kind generalises to None (never the raw value).
    """
    if value is None:
        return None
    if kind == "IP_ADDRESS":
        try:
            address = ipaddress.ip_address(str(value).strip())
        except ValueError:
            return None
        prefix = 24 if address.version == 4 else 48
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    if kind in ("DATE", "DATE_OF_BIRTH", "TIMESTAMP"):
        year_only = level == "year"
        if isinstance(value, datetime):
            return value.replace(month=1 if year_only else value.month, day=1, hour=0,
                                 minute=0, second=0, microsecond=0)
        if isinstance(value, date):
            return value.replace(month=1 if year_only else value.month, day=1)
        parsed = _parse_date(str(value))
        if parsed is None:
            return None
        return f"{parsed.year:04d}" if year_only else f"{parsed.year:04d}-{parsed.month:02d}"
    if kind == "AGE":
        try:
            age = int(value)
        except (TypeError, ValueError):
            return None
        if age >= 90:
            return "90+"
        low = age - age % band
        return f"{low}-{low + band - 1}"
    if kind == "POSTCODE":
        text = str(value).strip().upper()
        if keep is not None:
            return text[:keep]
        outward, space, _ = text.partition(" ")
        return outward if space else text[:3]
    if kind == "GPS":
        parts = value if isinstance(value, list | tuple) else str(value).split(",")
        try:
            return ",".join(f"{round(float(part), decimals):.{decimals}f}" for part in parts)
        except ValueError:
            return None
    raise ValueError(f"generalize does not know the kind {kind!r}")


def null(value, **_) -> None:
    return None


def delete(value, **_) -> _Delete:
    return DELETE


TRANSFORMS: dict[str, Callable] = {
    "redact": redact,
    "mask": mask,
    "pseudonymise": pseudonymise,
    "tokenize": tokenize,
    "generalize": generalize,
    "null": null,
    "delete": delete,
}


def apply(name: str, value, *, kind: str | None = None, key: bytes | None = None,
          vault: Vault | None = None, **options):
    """Run the transform called `name`, giving it only what it takes."""
    try:
        transform = TRANSFORMS[name]
    except KeyError:
        raise ValueError(
            f"unknown transform {name!r}; choose from {', '.join(TRANSFORMS)}"
        ) from None
    if value is None:
        return DELETE if transform is delete else None
    if transform is pseudonymise:
        return pseudonymise(value, key=key, kind=kind, **options)
    if transform is tokenize:
        return tokenize(value, vault=vault, kind=kind)
    if transform is generalize:
        return generalize(value, kind=kind, **options)
    return transform(value, kind=kind)
