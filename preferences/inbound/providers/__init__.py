"""The email providers' webhooks, one module each (`ses`, `sendgrid`, `mailgun`,
`postmark`): check the call is the provider's (signature or credentials, a fresh
timestamp), read its body into `Signal`s, and refuse anything else with `Rejected`.

Each module has `configured()` (a provider is off until its setting is set) and
`read(request) -> list[Signal]`.
"""

import json
import time

from django.conf import settings

from preferences.inbound.signals import Signal, ignored


class Rejected(Exception):
    """Not the provider's call, or not its format: answered 4xx, nothing recorded."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason, self.status = reason, status


class Unavailable(Exception):
    """The call could not be checked now (the SNS certificate could not be fetched):
    answered 503 so the provider retries."""


def json_body(request, *, kind: type):
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected("not JSON") from None
    if not isinstance(data, kind):
        raise Rejected(f"not a JSON {'array' if kind is list else 'object'}")
    return data


def fresh(timestamp: float) -> None:
    """Refuse a call signed more than HUSH_INBOUND_WEBHOOK_MAX_AGE seconds away from now
    (either way): a captured call replayed later is refused."""
    if abs(time.time() - timestamp) > settings.HUSH_INBOUND_WEBHOOK_MAX_AGE:
        raise Rejected("stale timestamp", status=403)


def text(value, limit: int = 320) -> str:
    return value[:limit] if isinstance(value, str) else ""


def address(value) -> str | None:
    value = text(value).strip()
    return value if value.count("@") == 1 and not value.startswith("@") else None


def signal_for(key: str, kind: str, recipient, topic: str = "") -> Signal:
    """The event's signal, or an ignored one when it names no usable address."""
    found = address(recipient)
    if found is None:
        return ignored(key, "no_address")
    return Signal(key=key, kind=kind, address=found, topic=topic)
