"""Amazon SES notifications through SNS (HTTPS subscription).

A call is taken only for a topic in `HUSH_SES_TOPIC_ARNS` (anyone can have AWS sign
for a topic of their own: the signature alone proves nothing about whose) and only if
its signature (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA, over the fields
SNS names) verifies against the certificate at `SigningCertURL`, which must be an
https URL on a host matching `HUSH_SNS_CERT_HOSTS` (`sns.*.amazonaws.com` by
default, `*` being one DNS label). A SubscriptionConfirmation is confirmed by
fetching its SubscribeURL (same host rule); a Notification's SES Bounce (Permanent:
hard; Transient or Undetermined: soft) and Complaint (but `not-spam`) become signals.
Idempotent by the SNS MessageId.
"""

import base64
import binascii
import json
import re
import ssl
import urllib.request
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings

import audit
from preferences.inbound.providers import (
    Rejected,
    Unavailable,
    address,
    fresh,
    json_body,
    text,
)
from preferences.inbound.signals import Kind, Signal, ignored

SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATE = 64 * 1024
TIMEOUT = 5


def configured() -> bool:
    return bool(settings.HUSH_SES_TOPIC_ARNS)


def allowed_url(url: str, *, certificate: bool = False) -> bool:
    """https, on a host (and port) one of HUSH_SNS_CERT_HOSTS matches."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        return False
    if certificate and not parts.path.endswith(".pem"):
        return False
    host = parts.hostname.lower() + (f":{port}" if port not in (None, 443) else "")
    for pattern in settings.HUSH_SNS_CERT_HOSTS:
        regex = r"[a-z0-9-]+".join(re.escape(piece) for piece in pattern.lower().split("*"))
        if re.fullmatch(regex, host):
            return True
    return False


def _fetch(url: str, limit: int) -> bytes:
    context = ssl.create_default_context()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT, context=context) as answer:  # noqa: S310 (https only, host checked)
            if not allowed_url(answer.geturl()):  # redirected somewhere else
                raise Unavailable("redirected off the allowed hosts")
            return answer.read(limit + 1)[:limit + 1]
    except OSError as failure:
        raise Unavailable(type(failure).__name__) from None


@lru_cache(maxsize=16)
def _certificate(url: str) -> x509.Certificate:
    pem = _fetch(url, MAX_CERTIFICATE)
    if len(pem) > MAX_CERTIFICATE:
        raise Unavailable("certificate too large")
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Unavailable("not a certificate") from None


def _verify(body: dict) -> None:
    version = text(body.get("SignatureVersion"), 4)
    if version not in HASHES:
        raise Rejected("unknown signature version", status=403)
    url = text(body.get("SigningCertURL"), 1000)
    if not allowed_url(url, certificate=True):
        raise Rejected("certificate URL not on an allowed SNS host", status=403)
    fields = SIGNED_FIELDS[body["Type"]]
    signed = "".join(f"{name}\n{body[name]}\n" for name in fields
                     if isinstance(body.get(name), str))
    try:
        signature = base64.b64decode(text(body.get("Signature"), 2000), validate=True)
        _certificate(url).public_key().verify(signature, signed.encode(), padding.PKCS1v15(),
                                              HASHES[version]())
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        raise Rejected("bad signature", status=403) from None


def read(request) -> list[Signal]:
    body = json_body(request, kind=dict)
    kind = text(body.get("Type"), 40)
    if kind not in SIGNED_FIELDS or not all(isinstance(body.get(k), str)
                                             for k in ("MessageId", "TopicArn", "Timestamp")):
        raise Rejected("not an SNS message")
    if not body.get("Signature"):
        raise Rejected("missing signature", status=401)
    if body["TopicArn"] not in settings.HUSH_SES_TOPIC_ARNS:
        raise Rejected("topic not configured", status=403)
    try:
        fresh(datetime.fromisoformat(body["Timestamp"].replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise Rejected("not an SNS message") from None
    _verify(body)
    if kind == "SubscriptionConfirmation":
        _confirm(body)
        return []
    if kind == "UnsubscribeConfirmation":
        return []
    return _signals(body)


def _confirm(body: dict) -> None:
    url = text(body.get("SubscribeURL"), 2000)
    if not allowed_url(url):
        raise Rejected("SubscribeURL not on an allowed SNS host", status=403)
    _fetch(url, 64 * 1024)
    audit.record(actor=audit.SYSTEM, action="inbound.sns_subscription_confirmed",
                 details={"topic": body["TopicArn"][:200]})


def _signals(body: dict) -> list[Signal]:
    key = f"ses:{body['MessageId'][:100]}"
    try:
        notification = json.loads(body.get("Message") or "")
    except ValueError:
        raise Rejected("not an SES notification") from None
    if not isinstance(notification, dict):
        raise Rejected("not an SES notification")
    kind = text(notification.get("notificationType") or notification.get("eventType"), 32)
    detail = notification.get(kind.lower())
    if kind not in ("Bounce", "Complaint"):
        return [ignored(key, f"ses:{kind or 'none'}"[:32])]
    if not isinstance(detail, dict):
        raise Rejected("not an SES notification")
    if kind == "Bounce":
        permanent = text(detail.get("bounceType"), 20) == "Permanent"
        signal_kind = Kind.HARD_BOUNCE if permanent else Kind.SOFT_BOUNCE
        recipients = detail.get("bouncedRecipients")
    else:
        if text(detail.get("complaintFeedbackType"), 20) == "not-spam":
            return [ignored(key, "ses:not-spam")]
        signal_kind, recipients = Kind.COMPLAINT, detail.get("complainedRecipients")
    if not isinstance(recipients, list):
        raise Rejected("not an SES notification")
    signals = []
    for i, recipient in enumerate(recipients[:100]):
        found = address(recipient.get("emailAddress")) if isinstance(recipient, dict) else None
        signals.append(Signal(key=f"{key}:{i}", kind=signal_kind, address=found)
                       if found else ignored(f"{key}:{i}", "no_address"))
    return signals
