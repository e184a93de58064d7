"""Signed link tokens. One salt per purpose, so a token made for one purpose is
worthless for another. They carry the subject's opaque id (never the email) and,
for one-click, the topic; any edit breaks the signature.
"""

import re
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

UNSUBSCRIBE_SALT = "hush.unsubscribe.v1"
PREFERENCES_SALT = "hush.preferences.v1"
CONFIRMATION_SALT = "hush.confirmation.v1"
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")


class BadToken(Exception):
    """Not a token we made for this purpose."""


class ExpiredToken(BadToken):
    """Genuine but too old; still names the subject so a new link can be offered."""

    def __init__(self, subject_id: uuid.UUID):
        super().__init__("expired")
        self.subject_id = subject_id


@dataclass(frozen=True)
class UnsubscribeClaim:
    subject_id: uuid.UUID
    topic_slug: str
    issued_at: int = 0  # unix seconds, from the token's signed timestamp

    @property
    def fresh(self) -> bool:
        """Young enough to stand for a preference link (HUSH_PREFERENCE_LINK_MAX_AGE): only
        then may the one-click page link straight into the preference center."""
        return time.time() - self.issued_at <= settings.HUSH_PREFERENCE_LINK_MAX_AGE


def make_unsubscribe_token(*, subject, topic) -> str:
    # signing.dumps signs its issue time with it: read back as `issued_at`.
    return signing.dumps([subject.public_id.hex, topic.slug], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> UnsubscribeClaim:
    """One-click links live in old emails for months (RFC 8058 mail sits in inboxes), so
    they work for HUSH_ONE_CLICK_MAX_AGE (a year by default), then are refused."""
    try:
        payload = _loads(token, salt=UNSUBSCRIBE_SALT, max_age=settings.HUSH_ONE_CLICK_MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    if not (isinstance(payload, list) and len(payload) == 2):
        raise BadToken("malformed")
    subject_hex, slug = payload
    if not (isinstance(slug, str) and _SLUG.match(slug)):
        raise BadToken("malformed")
    return UnsubscribeClaim(subject_id=_uuid(subject_hex), topic_slug=slug,
                            issued_at=_issued_at(token))


def _issued_at(token: str) -> int:
    """The timestamp of a token whose signature was checked: `payload:timestamp:signature`."""
    return signing.b62_decode(token.rsplit(":", 2)[-2])


def make_preferences_token(*, subject) -> str:
    return signing.dumps([subject.public_id.hex], salt=PREFERENCES_SALT)


def read_preferences_token(token: str) -> uuid.UUID:
    """The subject's id; raises ExpiredToken past HUSH_PREFERENCE_LINK_MAX_AGE."""
    try:
        payload = _loads(token, salt=PREFERENCES_SALT,
                         max_age=settings.HUSH_PREFERENCE_LINK_MAX_AGE)
    except signing.SignatureExpired:
        # The signature was valid, only old: safe to read who it was for.
        payload = _loads(token, salt=PREFERENCES_SALT)
        raise ExpiredToken(_preferences_subject(payload)) from None
    return _preferences_subject(payload)


def make_confirmation_token(*, subject, topics: list[str]) -> str:
    return signing.dumps([subject.public_id.hex, list(topics)], salt=CONFIRMATION_SALT)


def read_confirmation_token(token: str) -> tuple[uuid.UUID, list[str]]:
    """(subject id, topic slugs); BadToken past HUSH_DOI_EXPIRY or if edited."""
    try:
        payload = _loads(token, salt=CONFIRMATION_SALT, max_age=settings.HUSH_DOI_EXPIRY)
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[1], list)
            and len(payload[1]) <= 100
            and all(isinstance(s, str) and _SLUG.match(s) for s in payload[1])):
        raise BadToken("malformed")
    return _uuid(payload[0]), payload[1]


def _preferences_subject(payload) -> uuid.UUID:
    if not (isinstance(payload, list) and len(payload) == 1):
        raise BadToken("malformed")
    return _uuid(payload[0])


def _loads(token: str, *, salt: str, max_age=None):
    if not isinstance(token, str) or len(token) > 512:
        raise BadToken("malformed")
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise BadToken("bad signature") from None


def _uuid(value) -> uuid.UUID:
    if not isinstance(value, str) or len(value) != 32:
        raise BadToken("malformed")
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        raise BadToken("malformed") from None
