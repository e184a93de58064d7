"""SendGrid's Event Webhook: a JSON array of up to 1,000 events, signed with ECDSA
(P-256, SHA-256) over the timestamp header followed by the raw body; the public key
is the one SendGrid shows for the webhook (`HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY`).

bounce (a 4.x.x status or type `blocked`: soft) and spamreport suppress; unsubscribe
and group_unsubscribe unsubscribe (from the topic named by a `hush_topic` custom
argument, else from everything). Idempotent by `sg_event_id`.
"""

import base64
import binascii
import hashlib
import json
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from django.conf import settings

from preferences.inbound.providers import Rejected, fresh, json_body, signal_for, text
from preferences.inbound.signals import Kind, Signal, ignored

SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_EVENTS = 10_000
UNSUBSCRIBES = {"unsubscribe", "group_unsubscribe"}


def configured() -> bool:
    return bool(settings.HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY)


@cache
def _key(raw: str) -> ec.EllipticCurvePublicKey:
    if raw.startswith("-----BEGIN"):
        return load_pem_public_key(raw.encode())
    return load_der_public_key(base64.b64decode(raw))


def read(request) -> list[Signal]:
    signature, timestamp = request.headers.get(SIGNATURE, ""), request.headers.get(TIMESTAMP, "")
    if not signature or not timestamp.isdigit():
        raise Rejected("missing signature", status=401)
    try:
        _key(settings.HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY).verify(
            base64.b64decode(signature, validate=True), timestamp.encode() + request.body,
            ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise Rejected("bad signature", status=403) from None
    fresh(int(timestamp))
    events = json_body(request, kind=list)
    if len(events) > MAX_EVENTS or not all(isinstance(e, dict) for e in events):
        raise Rejected("not a SendGrid event batch")
    return [_signal(event) for event in events]


def _signal(event: dict) -> Signal:
    name = text(event.get("event"), 32)
    event_id = text(event.get("sg_event_id"), 200) or hashlib.sha256(
        json.dumps(event, sort_keys=True).encode()).hexdigest()
    key = f"sendgrid:{event_id}"
    if name == "bounce":
        soft = text(event.get("type"), 16) == "blocked" or text(event.get("status"), 16)[:1] == "4"
        kind = Kind.SOFT_BOUNCE if soft else Kind.HARD_BOUNCE
    elif name == "spamreport":
        kind = Kind.COMPLAINT
    elif name in UNSUBSCRIBES:
        kind = Kind.ESP_UNSUBSCRIBE
    else:
        return ignored(key, f"sendgrid:{name or 'none'}"[:32])
    return signal_for(key, kind, event.get("email"), text(event.get("hush_topic"), 64))
