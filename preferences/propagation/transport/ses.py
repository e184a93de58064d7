"""Amazon SES (API v2): the account-level suppression list, and contact-list topics.

Contract (docs.aws.amazon.com/ses/latest/APIReference-V2):
- auth: Signature Version 4 (service `ses`, the region in `options.region`), from the
  destination's secret "ACCESS_KEY_ID:SECRET_ACCESS_KEY"; base
  https://email.{region}.amazonaws.com.
- subject.suppressed and subject.erased: `PutSuppressedDestination`, `PUT
  /v2/email/suppression/addresses` `{"EmailAddress": ..., "Reason": "BOUNCE" |
  "COMPLAINT"}` (200; SES knows only these two reasons: a bounce is BOUNCE, anything else
  COMPLAINT). Erased also `DeleteContact`, `DELETE
  /v2/email/contact-lists/{list}/contacts/{address}` (200; 404 NotFoundException: none)
  when `options.contact_list` is set.
- subject.unsuppressed: `DeleteSuppressedDestination`, `DELETE
  /v2/email/suppression/addresses/{address}` (200; 404: not listed).
- subscription.changed (with `options.contact_list`; the topic's SES topic name in
  `options.lists`): `UpdateContact`, `PUT /v2/email/contact-lists/{list}/contacts/
  {address}` `{"TopicPreferences": [{"TopicName": ..., "SubscriptionStatus": "OPT_OUT" |
  "OPT_IN"}]}`; a 404 (no such contact) is followed by `CreateContact`, `POST
  /v2/email/contact-lists/{list}/contacts` with the address and the same preferences.
- retry: 429 TooManyRequestsException and 5xx; give up: 400 BadRequestException, 403
  (signature, permissions), other 4xx.
"""

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote

from preferences.propagation.transport.provider import Call, ProviderConnector, segment


def sigv4_headers(*, method: str, host: str, path: str, query: str, headers: dict,
                  body: bytes, access_key: str, secret_key: str, region: str, service: str,
                  now: datetime | None = None) -> dict:
    """The `X-Amz-Date` and `Authorization` headers of a
    Signature Version 4 request (AWS's "Create a signed AWS API request")."""
    now = now or datetime.now(UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    signed.update({"host": host, "x-amz-date": stamp})
    names = sorted(signed)
    canonical_query = "&".join(sorted(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, _, v in (pair.partition("=") for pair in query.split("&") if pair)))
    canonical = "\n".join([method, quote(path, safe="/-_.~%"), canonical_query,
                           "".join(f"{n}:{signed[n]}\n" for n in names), ";".join(names),
                           payload])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"X-Amz-Date": stamp, "Authorization": (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}")}


class SesConnector(ProviderConnector):
    def base_url(self, destination) -> str:
        region = (destination.options or {}).get("region", "us-east-1")
        return (destination.url or f"https://email.{region}.amazonaws.com").rstrip("/")

    def auth(self, destination) -> dict:
        return {}

    def sign(self, destination, method, url, path, raw, headers) -> dict:
        access_key, _, secret_key = (destination.secret or "").partition(":")
        path_only, _, query = path.partition("?")
        host = url.hostname + (f":{url.port}" if url.port else "")
        signed = {k: v for k, v in headers.items() if k.lower() == "content-type"}
        return sigv4_headers(method=method, host=host, path=path_only, query=query,
                             headers=signed, body=raw, access_key=access_key,
                             secret_key=secret_key,
                             region=(destination.options or {}).get("region", "us-east-1"),
                             service="ses")

    def calls(self, destination, event):
        options = destination.options or {}
        contacts = options.get("contact_list")
        address = event.email
        if event.type in ("subject.suppressed", "subject.erased"):
            reason = "BOUNCE" if event.new == "bounce" else "COMPLAINT"
            yield Call("PUT", "/v2/email/suppression/addresses",
                       json={"EmailAddress": address, "Reason": reason})
            if event.type == "subject.erased" and contacts:
                yield Call("DELETE", f"/v2/email/contact-lists/{segment(contacts)}/contacts/"
                           f"{segment(address)}", missing_ok=True)
        elif event.type == "subject.unsuppressed":
            yield Call("DELETE", f"/v2/email/suppression/addresses/{segment(address)}",
                       missing_ok=True)
        elif event.type == "subscription.changed" and contacts:
            topic = self.lists(destination).get(event.topic)
            if topic is None or not (event.opted_out or event.new == "subscribed"):
                return
            preferences = [{"TopicName": topic,
                            "SubscriptionStatus": "OPT_OUT" if event.opted_out else "OPT_IN"}]
            base = f"/v2/email/contact-lists/{segment(contacts)}/contacts"
            answer = yield Call("PUT", f"{base}/{segment(address)}",
                                json={"TopicPreferences": preferences}, missing_ok=True)
            if answer.status == 404:
                yield Call("POST", base, json={"EmailAddress": address,
                                               "TopicPreferences": preferences})
