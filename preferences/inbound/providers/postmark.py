"""Postmark's webhooks: HTTP basic credentials configured on the webhook
(`HUSH_POSTMARK_WEBHOOK_USER` / `_PASSWORD`); one JSON object per call.

Bounce (HardBounce, BadEmailAddress: hard; SoftBounce, Transient, DnsError: soft;
SpamComplaint), SpamComplaint and SubscriptionChange with SuppressSending (a manual
suppression unsubscribes; a HardBounce or SpamComplaint reason suppresses).
Idempotent by Postmark's ID (for SubscriptionChange, the message, recipient and time).
"""

import base64
import binascii
import hashlib
import hmac

from django.conf import settings

from preferences.inbound.providers import Rejected, address, json_body, text
from preferences.inbound.signals import Kind, Signal, ignored

HARD = {"HardBounce", "BadEmailAddress"}
SOFT = {"SoftBounce", "Transient", "DnsError"}
SUPPRESSION_REASONS = {"HardBounce": Kind.HARD_BOUNCE, "SpamComplaint": Kind.COMPLAINT,
                       "ManualSuppression": Kind.ESP_UNSUBSCRIBE}


def configured() -> bool:
    return bool(settings.HUSH_POSTMARK_WEBHOOK_USER and settings.HUSH_POSTMARK_WEBHOOK_PASSWORD)


def _credentials_match(header: str) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        user, sep, password = decoded.partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    same_user = hmac.compare_digest(user.encode(), settings.HUSH_POSTMARK_WEBHOOK_USER.encode())
    same_password = hmac.compare_digest(password.encode(),
                                        settings.HUSH_POSTMARK_WEBHOOK_PASSWORD.encode())
    return bool(sep) and same_user and same_password


def read(request) -> list[Signal]:
    if not _credentials_match(request.headers.get("Authorization", "")):
        raise Rejected("bad credentials", status=401)
    body = json_body(request, kind=dict)
    record_type = text(body.get("RecordType"), 32)
    if not record_type:
        raise Rejected("not a Postmark webhook")
    return [_signal(record_type, body)]


def _signal(record_type: str, body: dict) -> Signal:
    metadata = body.get("Metadata")
    topic = text(metadata.get("hush_topic"), 64) if isinstance(metadata, dict) else ""
    if record_type == "SubscriptionChange":
        recipient = address(body.get("Recipient"))
        key = "postmark:change:" + hashlib.sha256("|".join(
            [text(body.get("MessageID"), 100), recipient or "", text(body.get("ChangedAt"), 40),
             str(body.get("SuppressSending"))]).encode()).hexdigest()
        kind = SUPPRESSION_REASONS.get(text(body.get("SuppressionReason"), 32),
                                       Kind.ESP_UNSUBSCRIBE)
        if body.get("SuppressSending") is not True:
            return ignored(key, "postmark:reactivated")
    else:
        recipient = address(body.get("Email"))
        key = f"postmark:{record_type}:{text(str(body.get('ID', '')), 40)}"
        bounce_type = text(body.get("Type"), 32)
        if record_type == "SpamComplaint" or bounce_type == "SpamComplaint":
            kind = Kind.COMPLAINT
        elif record_type == "Bounce" and bounce_type in HARD:
            kind = Kind.HARD_BOUNCE
        elif record_type == "Bounce" and bounce_type in SOFT:
            kind = Kind.SOFT_BOUNCE
        else:
            return ignored(key, f"postmark:{record_type}"[:32])
        if not body.get("ID"):
            raise Rejected("not a Postmark webhook (no ID)")
    if recipient is None:
        return ignored(key, "no_address")
    return Signal(key=key, kind=kind, address=recipient, topic=topic)
