"""Mailgun's webhooks (JSON): `signature` {timestamp, token, signature: HMAC-SHA256 of
timestamp + token with the webhook signing key} and `event-data`.

failed (permanent: hard, temporary: soft) and complained suppress; unsubscribed
unsubscribes (from the topic in the `hush_topic` user variable, else everything).
A token seen before within the freshness window is a replay: answered, ignored.
Idempotent by the event's id.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from preferences.inbound.providers import Rejected, fresh, json_body, signal_for, text
from preferences.inbound.signals import Kind, Signal, ignored


def configured() -> bool:
    return bool(settings.HUSH_MAILGUN_WEBHOOK_SIGNING_KEY)


class Replayed(Exception):
    """The signature's token was seen before."""


def read(request) -> list[Signal]:
    body = json_body(request, kind=dict)
    signature, data = body.get("signature"), body.get("event-data")
    if not isinstance(signature, dict):
        raise Rejected("missing signature", status=401)
    timestamp, token = text(signature.get("timestamp"), 20), text(signature.get("token"), 200)
    given = text(signature.get("signature"), 128)
    if not (timestamp.isdigit() and token and given):
        raise Rejected("missing signature", status=401)
    expected = hmac.new(settings.HUSH_MAILGUN_WEBHOOK_SIGNING_KEY.encode(),
                        (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise Rejected("bad signature", status=403)
    fresh(int(timestamp))
    if not isinstance(data, dict):
        raise Rejected("not a Mailgun event")
    return [_signal(data)]


def token_claim(request) -> str | None:
    """Mark the call's token as seen; None if it was already (a replay). Call after
    `read` accepted the call; `token_release` if recording then failed."""
    token = text(json_body(request, kind=dict)["signature"].get("token"), 200)
    name = "hush.mailgun-token:" + hashlib.sha256(token.encode()).hexdigest()
    if not cache.add(name, 1, timeout=2 * settings.HUSH_INBOUND_WEBHOOK_MAX_AGE):
        return None
    return name


def token_release(name: str) -> None:
    cache.delete(name)


def _signal(data: dict) -> Signal:
    name = text(data.get("event"), 32)
    key = "mailgun:" + (text(data.get("id"), 200) or hashlib.sha256(repr(data).encode())
                        .hexdigest())
    if name == "failed":
        permanent = text(data.get("severity"), 16) == "permanent"
        kind = Kind.HARD_BOUNCE if permanent else Kind.SOFT_BOUNCE
    elif name == "complained":
        kind = Kind.COMPLAINT
    elif name == "unsubscribed":
        kind = Kind.ESP_UNSUBSCRIBE
    else:
        return ignored(key, f"mailgun:{name or 'none'}"[:32])
    variables = data.get("user-variables")
    topic = text(variables.get("hush_topic"), 64) if isinstance(variables, dict) else ""
    return signal_for(key, kind, data.get("recipient"), topic)
