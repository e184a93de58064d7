"""Links and headers for the emails the company sends (RFC 2369, RFC 8058)."""

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.urls import reverse

from preferences.tokens import make_preferences_token, make_unsubscribe_token


def preferences_url(subject) -> str:
    token = make_preferences_token(subject=subject)
    return settings.HUSH_BASE_URL + reverse("preferences:center", args=[token])


def unsubscribe_url(subject, topic) -> str:
    return _one_click_url(make_unsubscribe_token(subject=subject, topic=topic))


def _one_click_url(token: str) -> str:
    return settings.HUSH_BASE_URL + reverse("preferences:one_click", args=[token])


def _headers(token: str) -> dict[str, str]:
    host = urlsplit(settings.HUSH_BASE_URL).hostname
    address = settings.HUSH_UNSUBSCRIBE_MAILTO or f"unsubscribe@{host}"
    # The mailto subject carries the one-click token so an inbound handler can act on it.
    mailto = f"mailto:{address}?subject={quote('unsubscribe ' + token)}"
    return {
        "List-Unsubscribe": f"<{_one_click_url(token)}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_headers(subject, topic) -> dict[str, str]:
    """`List-Unsubscribe` (https first, then mailto) and `List-Unsubscribe-Post`."""
    return _headers(make_unsubscribe_token(subject=subject, topic=topic))


def links(subject, topic) -> dict:
    """What `manage.py links --json` and the links API answer."""
    token = make_unsubscribe_token(subject=subject, topic=topic)
    return {
        "preferences_url": preferences_url(subject),
        "unsubscribe_url": _one_click_url(token),
        "headers": _headers(token),
    }
