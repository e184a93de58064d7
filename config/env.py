"""Typed readers for settings that come from the environment.

Each helper rejects a malformed value at start-up with the variable's name in the
message, so a bad deployment fails loudly instead of running half-configured.
"""

import base64
import binascii
import ipaddress
import os
import re
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from django.core.exceptions import ImproperlyConfigured

from common.crypto import ed25519_key_load

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_required(name: str, *, unless: bool = False, fallback: str = "") -> str:
    """A setting production must set; `unless` (dev mode) allows `fallback`."""
    value = os.environ.get(name, "")
    if value:
        return value
    if unless:
        return fallback
    raise ImproperlyConfigured(f"{name} must be set in the environment")


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name} must be a finite number, got {raw!r}")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_fernet_keys(name: str, keys: list[str]) -> list[str]:
    """Fernet keys, newest first: each 32 url-safe base64-encoded bytes."""
    if not keys:
        raise ImproperlyConfigured(
            f"{name} must be set: comma-separated Fernet keys, newest first"
        )
    for position, key in enumerate(keys, 1):
        try:
            ok = len(base64.urlsafe_b64decode(key.encode())) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ImproperlyConfigured(f"{name}: key {position} is not a Fernet key "
                                       "(32 url-safe base64-encoded bytes)")
    return keys


_DB_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def env_database_urls(name: str) -> dict[str, str]:
    """`label=postgres://...,other=postgres://...`: the company's own PostgreSQL
    databases, by a short label. A comma inside a URL must be percent-encoded."""
    raw = os.environ.get(name, "").strip()
    urls: dict[str, str] = {}
    if not raw:
        return urls
    for position, item in enumerate(raw.split(","), 1):
        label, sep, url = item.strip().partition("=")
        label, url = label.strip(), url.strip()
        if not sep or not _DB_NAME.fullmatch(label):
            raise ImproperlyConfigured(
                f"{name}: item {position} must be label=postgres://... with a lower-case "
                "label (letters, digits, _)")
        if label == "default" or label in urls:
            raise ImproperlyConfigured(f"{name}: label {label!r} is reserved or repeated")
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 (raises on a malformed port)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {label!r} has a malformed port") from None
        if parts.scheme not in {"postgres", "postgresql"} or not parts.hostname \
                or not parts.path.strip("/"):
            raise ImproperlyConfigured(
                f"{name}: {label!r} must be a postgres://user@host:port/dbname URL")
        urls[label] = url
    return urls


def env_ec_public_key(name: str) -> str:
    """An elliptic-curve public key (SendGrid's webhook key): base64 DER as the provider
    shows it, or PEM. Empty when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    try:
        if raw.startswith("-----BEGIN"):
            key = load_pem_public_key(raw.encode())
        else:
            key = load_der_public_key(base64.b64decode(raw, validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise ImproperlyConfigured(f"{name} is not a public key (base64 DER or PEM)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ImproperlyConfigured(f"{name} must be an elliptic-curve (ECDSA) public key")
    return raw


def env_ed25519_keys(name: str, *, private: bool) -> list[str]:
    """Ed25519 keys (the audit checkpoints'), comma-separated: base64 of the raw 32 bytes
    or PEM. Checked at start, kept as text (`ed25519_key_load` reads one)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    # A PEM holds no comma, and base64 none either: a comma separates keys.
    keys = [item.strip() for item in raw.split(",") if item.strip()]
    kind = "private" if private else "public"
    for position, key in enumerate(keys, 1):
        try:
            ed25519_key_load(key, private=private)
        except (ValueError, binascii.Error, TypeError):
            raise ImproperlyConfigured(
                f"{name}: key {position} is not an Ed25519 {kind} key (base64 of 32 bytes, "
                "or PEM)") from None
    return keys


def env_imap_url(name: str) -> dict | None:
    """`imaps://user:password@host[:port]/MAILBOX` (or imap:// on a loopback host only):
    the parts, percent-decoded. None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a malformed port") from None
    if parts.scheme not in ("imaps", "imap") or not parts.hostname or not parts.username \
            or parts.password is None:
        raise ImproperlyConfigured(f"{name} must be imaps://user:password@host/MAILBOX")
    if parts.scheme == "imap" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ImproperlyConfigured(f"{name}: a password travels in clear over imap://; use "
                                   "imaps:// (imap:// is for a mailbox on this machine)")
    return {"tls": parts.scheme == "imaps", "host": parts.hostname,
            "port": port or (993 if parts.scheme == "imaps" else 143),
            "user": unquote(parts.username), "password": unquote(parts.password),
            "mailbox": unquote(parts.path.lstrip("/")) or "INBOX"}


def env_networks(name: str) -> list:
    """Comma-separated IP networks (`127.0.0.0/8,fd00::/8`, a bare address is one host)."""
    networks = []
    for item in (os.environ.get(name) or "").split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list IP networks such as 10.1.0.0/16, "
                                       f"got {item.strip()!r}") from None
    return networks


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def env_colour(name: str, default: str) -> str:
    """A colour as #rrggbb (a brand's accent)."""
    value = os.environ.get(name) or default
    if not _COLOUR.match(value):
        raise ImproperlyConfigured(f"{name} must be a colour as #rrggbb, not {value!r}")
    return value.lower()
