"""Mailgun: unsubscribes, per tag (Suppressions API v3).

Contract (documentation.mailgun.com, "Suppressions: Unsubscribe"):
- auth: HTTP Basic `api:<API key>` (the destination's secret); base
  https://api.mailgun.net (https://api.eu.mailgun.net for EU domains); the sending
  domain is `options.domain`.
- subscription.changed, opted out: `POST /v3/{domain}/unsubscribes` form
  `address=...&tag={tag}` (200); back in: `DELETE /v3/{domain}/unsubscribes/{address}?tag=
  {tag}` (200; 404 is already so). The tag is the topic's in `options.lists`.
- subject.suppressed and subject.erased: `POST /v3/{domain}/unsubscribes` with tag `*`
  (every message); Mailgun keeps no contact to delete, and the unsubscribe is what
  keeps the address from being mailed. subject.unsuppressed: `DELETE
  /v3/{domain}/unsubscribes/{address}`.
- retry: 429 and 5xx; give up: 400, 401, 403, other 4xx.
"""

import base64
from urllib.parse import urlencode

from preferences.propagation.transport.provider import Call, ProviderConnector, segment


class MailgunConnector(ProviderConnector):
    default_base = "https://api.mailgun.net"

    def auth(self, destination) -> dict:
        token = base64.b64encode(f"api:{destination.secret or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def calls(self, destination, event):
        domain = segment(str((destination.options or {}).get("domain", "")))
        address = event.email
        base = f"/v3/{domain}/unsubscribes"
        if event.type == "subscription.changed":
            tag = self.lists(destination).get(event.topic)
            if tag is None:
                return
            if event.opted_out:
                yield Call("POST", base, form={"address": address, "tag": tag})
            elif event.new == "subscribed":
                yield Call("DELETE", f"{base}/{segment(address)}?{urlencode({'tag': tag})}",
                           missing_ok=True)
        elif event.type in ("subject.suppressed", "subject.erased"):
            yield Call("POST", base, form={"address": address, "tag": "*"})
        elif event.type == "subject.unsuppressed":
            yield Call("DELETE", f"{base}/{segment(address)}", missing_ok=True)
