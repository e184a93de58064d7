"""What the email-provider connectors share: an event turned into HTTP calls, run in
order with the delivery's timeouts, each answer read the way webhooks' are.

A connector is one small class: `calls(destination, event)` is a generator that yields
`Call`s and receives each `Answer` (so a lookup can feed the next call), and
`auth(destination)` gives its headers. The first answer that is not a success ends the
delivery: 408, 429 (with its Retry-After) and 5xx are retried with the webhook's backoff,
any other 4xx fails at once (a dead letter); a timeout or a lost connection is retried.
A call marked `missing_ok` takes a 404 as done (deleting what is not there).

Settings a connector reads live in the destination's `options` (JSON): `lists` maps a
Hush topic slug to the provider's group, list or stream; the credentials are the
destination's `secret`, encrypted at rest like a webhook's signing secret.
"""

import http.client
import json
from collections.abc import Generator
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings

from preferences.propagation.transport.outcome import Outcome, classify


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # with its query string
    json: object = None
    form: dict | None = None
    headers: dict = field(default_factory=dict)
    missing_ok: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    data: object  # the JSON answer, or None


@dataclass(frozen=True)
class Event:
    """The delivery's body, as a connector reads it."""

    type: str
    email: str
    topic: str | None
    new: str  # the new status or suppression reason
    body: dict

    @classmethod
    def of(cls, body: dict) -> "Event":
        return cls(type=body.get("type", ""), email=(body.get("subject") or {}).get("email")
                   or "", topic=body.get("topic"), new=body.get("new") or "", body=body)

    @property
    def opted_out(self) -> bool:
        return self.new in ("unsubscribed", "paused")


def segment(value: str) -> str:
    """A value put in a URL path (an address has an @ and may have a +)."""
    return quote(value, safe="")


class ProviderConnector:
    default_base = ""

    def calls(self, destination, event: Event) -> Generator[Call, Answer, None]:
        raise NotImplementedError

    def auth(self, destination) -> dict:
        raise NotImplementedError

    def base_url(self, destination) -> str:
        return (destination.url or self.default_base).rstrip("/")

    @staticmethod
    def lists(destination) -> dict:
        return dict((destination.options or {}).get("lists") or {})

    def send(self, destination, body: dict, headers: dict) -> Outcome:
        event = Event.of(body)
        if not event.email:
            return Outcome(ok=False, retryable=False,
                           error="no address: the destination needs include_email")
        steps = self.calls(destination, event)
        try:
            call = next(steps)
            while True:
                answer = self._request(destination, call, headers)
                if isinstance(answer, Outcome):
                    return answer
                if not (200 <= answer.status < 300 or (answer.status == 404 and call.missing_ok)):
                    return classify(answer.status, answer.retry_after)
                call = steps.send(Answer(answer.status, answer.data))
        except StopIteration:
            return Outcome(ok=True, status_code=200)

    def _request(self, destination, call: Call, headers: dict):
        url = urlsplit(self.base_url(destination))
        if call.json is not None:
            raw, kind = json.dumps(call.json).encode(), "application/json"
        elif call.form is not None:
            raw, kind = urlencode(call.form).encode(), "application/x-www-form-urlencoded"
        else:
            raw, kind = None, None
        sent = {"User-Agent": "Hush-Connectors/1", "Accept": "application/json",
                **call.headers}
        if headers.get("Hush-Delivery"):  # the delivery's id: the same on every retry
            sent["Idempotency-Key"] = headers["Hush-Delivery"]
        if kind:
            sent["Content-Type"] = kind
        path = (url.path.rstrip("/") + call.path)
        sent.update(self.sign(destination, call.method, url, path, raw or b"", sent))
        connection_class = (http.client.HTTPSConnection if url.scheme == "https"
                            else http.client.HTTPConnection)
        conn = connection_class(url.hostname, url.port,
                                timeout=settings.HUSH_DELIVERY_CONNECT_TIMEOUT)
        try:
            conn.connect()
            conn.sock.settimeout(settings.HUSH_DELIVERY_READ_TIMEOUT)
            conn.request(call.method, path, body=raw, headers=sent)
            response = conn.getresponse()
            data = response.read()
        except TimeoutError:
            return Outcome(ok=False, retryable=True, error="timeout")
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(ok=False, retryable=True, error=type(exc).__name__)
        finally:
            conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return _Answer(response.status, parsed, response.getheader("Retry-After"))

    def sign(self, destination, method, url, path, raw: bytes, headers: dict) -> dict:
        """Headers that authenticate the call (most providers: a fixed header)."""
        return self.auth(destination)


@dataclass(frozen=True)
class _Answer:
    status: int
    data: object
    retry_after: str | None
