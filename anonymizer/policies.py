"""Transforms with Hush's own keys: the pseudonym key from settings and the
database token vault. Erasure, retention and the scrub API call these."""

import hashlib
import hmac
from functools import cache

from django.conf import settings

from anonymizer.core import transforms
from anonymizer.vault import DatabaseVault


@cache
def _pseudonym_key(digest_key: str) -> bytes:
    # Derived, not the digest key itself: a pseudonym must not equal the
    # suppression-list digest of the same address.
    return hmac.new(digest_key.encode(), b"hush-pseudonymise", hashlib.sha256).digest()


def pseudonym_key() -> bytes:
    return _pseudonym_key(settings.HUSH_DIGEST_KEY)


def field_apply(name: str, value, *, kind: str | None = None, **options):
    """`anonymizer.core.transforms.apply` with the deployment's key and vault."""
    return transforms.apply(name, value, kind=kind, key=pseudonym_key(),
                            vault=DatabaseVault() if name == "tokenize" else None, **options)
