"""How a delivery reaches each kind of destination. A new kind (an ESP's
suppression API, say) is one class with `send` and an entry in KINDS."""

import http.client
import json
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

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
    """HTTP POST of the JSON body, signed. Each worker process keeps one
    keep-alive connection per receiver (http.client: a delivery is the worker's
    hot path, and a full HTTP library cost more CPU than the rest of it)."""

    def __init__(self):
        self._local = threading.local()  # a connection is never shared between threads

    @property
    def connections(self) -> dict[tuple, http.client.HTTPConnection]:
        if not hasattr(self._local, "connections"):
            self._local.connections = {}
        return self._local.connections

    def send(self, destination, body: dict, headers: dict) -> Outcome:
        raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            **headers,
            "Content-Type": "application/json",
            "User-Agent": "Hush-Webhooks/1",
            webhooks.SIGNATURE_HEADER: webhooks.sign(secret=destination.secret or "", body=raw),
        }
        url = urlsplit(destination.url)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        for _ in range(2):
            reused = self._key(url) in self.connections
            try:
                conn = self._connection(url)
                conn.request("POST", path, body=raw, headers=headers)
                response = conn.getresponse()
                response.read()
            except TimeoutError:
                self._drop(url)
                return Outcome(ok=False, retryable=True, error="timeout")
            except (OSError, http.client.HTTPException) as exc:
                self._drop(url)
                stale = isinstance(exc, http.client.RemoteDisconnected | BrokenPipeError
                                   | ConnectionResetError)
                if reused and stale:
                    continue  # the receiver closed a kept-alive connection: once more, fresh
                return Outcome(ok=False, retryable=True, error=type(exc).__name__)
            if response.will_close:
                self._drop(url)
            return classify(response.status, response.getheader("Retry-After"))
        return Outcome(ok=False, retryable=True, error="connection lost")

    @staticmethod
    def _key(url) -> tuple:
        return (url.scheme, url.hostname, url.port)

    def _connection(self, url) -> http.client.HTTPConnection:
        key = self._key(url)
        conn = self.connections.get(key)
        if conn is None:
            kind = (http.client.HTTPSConnection if url.scheme == "https"
                    else http.client.HTTPConnection)
            conn = kind(url.hostname, url.port, timeout=settings.HUSH_DELIVERY_CONNECT_TIMEOUT)
            conn.connect()
            conn.sock.settimeout(settings.HUSH_DELIVERY_READ_TIMEOUT)
            self.connections[key] = conn
        return conn

    def _drop(self, url) -> None:
        conn = self.connections.pop(self._key(url), None)
        if conn is not None:
            conn.close()


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
