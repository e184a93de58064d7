"""Signed webhooks: an HTTP POST of the JSON body to the destination's URL."""

import http.client
import json
import threading
from urllib.parse import urlsplit

from django.conf import settings

from preferences.propagation import webhooks
from preferences.propagation.safe_urls import (
    UnsafeDestination,
    VettedHTTPConnection,
    VettedHTTPSConnection,
)
from preferences.propagation.transport.outcome import Outcome, classify


class WebhookSender:
    """HTTP POST of the JSON body, signed. Each worker process keeps one
    keep-alive connection per receiver (http.client: a delivery is the worker's
    hot path, and a full HTTP library cost more CPU than the rest of it), opened
    only to an address `safe_urls` lets through."""

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
            except UnsafeDestination as exc:  # checked at every connection: never sent
                self._drop(url)
                return Outcome(ok=False, retryable=False,
                               error=f"refused: the host resolves to {exc.why}")
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
            kind = VettedHTTPSConnection if url.scheme == "https" else VettedHTTPConnection
            conn = kind(url.hostname, url.port, timeout=settings.HUSH_DELIVERY_CONNECT_TIMEOUT)
            conn.connect()
            conn.sock.settimeout(settings.HUSH_DELIVERY_READ_TIMEOUT)
            self.connections[key] = conn
        return conn

    def _drop(self, url) -> None:
        conn = self.connections.pop(self._key(url), None)
        if conn is not None:
            conn.close()
