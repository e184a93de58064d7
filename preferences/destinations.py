"""How a delivery reaches each kind of destination. A new kind (an ESP's
suppression API, say) is one class with `send` and an entry in KINDS."""

import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from preferences import webhooks


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def classify(status_code: int, retry_after: str | None = None) -> Outcome:
    """2xx delivered; 408, 429 and 5xx retried; any other answer fails at once."""
    if 200 <= status_code < 300:
        return Outcome(ok=True, status_code=status_code)
    retryable = status_code in (408, 429) or status_code >= 500
    return Outcome(ok=False, retryable=retryable, status_code=status_code,
                   error=f"HTTP {status_code}", retry_after=_retry_after(retry_after))


class WebhookSender:
    """HTTP POST of the JSON body, signed; one pooled session per worker process."""

    def __init__(self):
        self.session = requests.Session()

    def send(self, destination, body: dict, headers: dict) -> Outcome:
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            **headers,
            "Content-Type": "application/json",
            "User-Agent": "Hush-Webhooks/1",
            webhooks.SIGNATURE_HEADER: webhooks.sign(secret=destination.secret or "", body=raw),
        }
        try:
            response = self.session.post(
                destination.url, data=raw, headers=headers, allow_redirects=False,
                timeout=(settings.HUSH_DELIVERY_CONNECT_TIMEOUT,
                         settings.HUSH_DELIVERY_READ_TIMEOUT),
            )
        except requests.Timeout:
            return Outcome(ok=False, retryable=True, error="timeout")
        except requests.RequestException as exc:
            return Outcome(ok=False, retryable=True, error=type(exc).__name__)
        response.close()
        return classify(response.status_code, response.headers.get("Retry-After"))


class CallableSender:
    """A function inside this deployment (a cache, a search index): called with
    the body; returning normally is success, raising is retried."""

    def send(self, destination, body: dict, headers: dict) -> Outcome:
        try:
            function = import_string(destination.callable_path)
        except ImportError:
            return Outcome(ok=False, error="callable not found")
        try:
            function(body)
        except Exception as exc:  # any failure of the receiving code is retried
            return Outcome(ok=False, retryable=True, error=type(exc).__name__)
        return Outcome(ok=True)


KINDS = {"webhook": WebhookSender(), "callable": CallableSender()}
