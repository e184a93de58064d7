"""Links and headers for the emails the company sends (RFC 2369, RFC 8058), and the one
gate every mail Hush itself sends goes through (`mail_send`)."""

from functools import lru_cache
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.urls import get_script_prefix, get_urlconf, reverse

from common.crypto import email_digest
from preferences.models import Suppression
from preferences.tokens import make_preferences_token, make_unsubscribe_token

# What a mail answers. A sign-up (its confirmation, or the note to a known address) is
# asked for by anyone; a link or a download answers what the person asked for themselves.
SIGNUP, LINK, DOWNLOAD = "signup", "link", "download"


def mail_allowed(email: str, *, kind: str) -> bool:
    """Never to an address on the suppression list: erased, a complaint, a bounce,
    staff. One that unsubscribed from everything still gets the link to its own
    preference center and its download (the way back and the way to leave), never a
    sign-up mail."""
    reason = (Suppression.objects.filter(email_digest=email_digest(email))
              .values_list("reason", flat=True).first())
    if reason is None:
        return True
    return reason == Suppression.Reason.UNSUBSCRIBED_ALL and kind in (LINK, DOWNLOAD)


def mail_send(*, to: str, title: str, body: str, kind: str) -> bool:
    """Send one mail Hush writes (confirmation, link, download, sign-up note), unless
    `mail_allowed` refuses the address. Returns whether it was sent."""
    if kind not in (SIGNUP, LINK, DOWNLOAD):
        raise ValueError(f"unknown kind of mail {kind!r}")
    if not mail_allowed(to, kind=kind):
        return False
    send_mail(title, body, None, [to])
    return True


def mail_send_message(message, *, kind: str) -> bool:
    """`mail_send` for a message already built (a branded mail with its HTML part):
    the same gate on every recipient. Returns whether it was sent."""
    if kind not in (SIGNUP, LINK, DOWNLOAD):
        raise ValueError(f"unknown kind of mail {kind!r}")
    if not all(mail_allowed(to, kind=kind) for to in message.to):
        return False
    message.send()
    return True


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
