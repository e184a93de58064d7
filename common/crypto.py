"""Field encryption and lookup digests for personal data.

Emails are stored encrypted with MultiFernet (keys from HUSH_FIELD_KEYS, newest
first, so old keys keep decrypting during a rotation) and found again through a
keyed HMAC digest of the normalised address, which is useless without the key.
"""

import hashlib
import hmac
import unicodedata
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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
