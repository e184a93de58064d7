"""Links and headers for the emails the company sends (RFC 2369, RFC 8058)."""

from functools import lru_cache
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from preferences.tokens import make_preferences_token, make_unsubscribe_token


def preferences_url(subject, brand=None) -> str:
    """The preference center's link; for a brand (saved, not the default) it wears that
    brand and shows that brand's topics (`?brand=`)."""
    token = make_preferences_token(subject=subject)
    before, after = _center_url_around_token(settings.HUSH_BASE_URL, get_script_prefix(),
                                             get_urlconf())
    url = before + token + after
    if brand is not None and brand.pk and not brand.is_default:
        url += "?" + urlencode({"brand": brand.slug})
    return url


@lru_cache(maxsize=8)
def _center_url_around_token(base_url: str, script_prefix: str, urlconf) -> tuple[str, str]:
    """The preference center's URL split around its token, reversed once: every
    one-click page carries one, and reverse() cost more than the rest of the page."""
    slot = "hush-token-slot"
    before, after = (base_url + reverse("preferences:center", args=[slot])).split(slot)
    return before, after


def unsubscribe_url(subject, topic) -> str:
    return _one_click_url(make_unsubscribe_token(subject=subject, topic=topic))


def _one_click_url(token: str) -> str:
    return settings.HUSH_BASE_URL + reverse("preferences:one_click", args=[token])


def _headers(token: str) -> dict[str, str]:
    links = [f"<{_one_click_url(token)}>"]
    if settings.HUSH_UNSUBSCRIBE_MAILTO:
        # Only an address someone reads (`manage.py inbound_mail`, `inbound_smtp` or the
        # IMAP poller): an invented one would lose every opt-out sent to it. The subject
        # carries the one-click token, which is what the inbound side acts on.
        subject = quote("unsubscribe " + token)
        links.append(f"<mailto:{settings.HUSH_UNSUBSCRIBE_MAILTO}?subject={subject}>")
    return {
        "List-Unsubscribe": ", ".join(links),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def unsubscribe_headers(subject, topic) -> dict[str, str]:
    """`List-Unsubscribe` (https, then mailto when `HUSH_UNSUBSCRIBE_MAILTO` is set) and
    `List-Unsubscribe-Post`."""
    return _headers(make_unsubscribe_token(subject=subject, topic=topic))


def links(subject, topic) -> dict:
    """What `manage.py links --json` and the links API answer."""
    token = make_unsubscribe_token(subject=subject, topic=topic)
    return {
        "preferences_url": preferences_url(subject, brand=topic.brand),
        "unsubscribe_url": _one_click_url(token),
        "headers": _headers(token),
    }
