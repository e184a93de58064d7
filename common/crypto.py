"""Field encryption and lookup digests for personal data.

Emails are stored encrypted with MultiFernet (keys from HUSH_FIELD_KEYS, newest
first, so old keys keep decrypting during a rotation) and found again through a
keyed HMAC digest of the normalised address, which is useless without the key.
Ed25519 keys (the audit checkpoints') are read from their text here too.
"""

import base64
import hashlib
import hmac
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "HUSH_FIELD_KEYS holds a malformed key: each must be 32 url-safe base64 bytes"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.HUSH_FIELD_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "a stored value cannot be decrypted with HUSH_FIELD_KEYS (was a key removed?)"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt under the newest key."""
    return fernet().rotate(token.encode()).decode()


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_digest(email: str) -> str:
    key = settings.HUSH_DIGEST_KEY.encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def email_digests(emails: list[str]) -> list[str]:
    """`email_digest` of each, keying the HMAC once (a consent check hashes thousands)."""
    keyed = hmac.new(settings.HUSH_DIGEST_KEY.encode(), digestmod=hashlib.sha256)
    digests = []
    for email in emails:
        mac = keyed.copy()
        mac.update(normalise_email(email).encode())
        digests.append(mac.hexdigest())
    return digests


@cache
def ed25519_key_load(raw: str, *, private: bool):
    """An Ed25519 key from its text: PEM, or base64 of the raw 32 bytes."""
    raw = raw.strip()
    if raw.startswith("-----BEGIN"):
        key = (load_pem_private_key(raw.encode(), password=None) if private
               else load_pem_public_key(raw.encode()))
    else:
        data = base64.b64decode(raw, validate=True)
        if len(data) != 32:
            raise ValueError("an Ed25519 key is 32 bytes")
        key = (ed25519.Ed25519PrivateKey.from_private_bytes(data) if private
               else ed25519.Ed25519PublicKey.from_public_bytes(data))
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise ValueError("not an Ed25519 key")
    return key
