"""Mailchimp: the audience member's status (Marketing API 3.0).

Contract (mailchimp.com/developer, "Lists/Audiences: members"):
- auth: HTTP Basic `anystring:<API key>` (the destination's secret); base
  https://{dc}.api.mailchimp.com, the data center being the key's suffix ("...-us6").
  The member is named by the MD5 of the lower-cased address (the subscriber hash).
- subscription.changed: `PUT /3.0/lists/{list_id}/members/{hash}` `{"email_address":
  ..., "status_if_new": S, "status": S}` with S `unsubscribed` or `subscribed` (200). The
  audience is the topic's in `options.lists`.
- subject.suppressed: the same PUT with `unsubscribed` on every audience in
  `options.lists`. subject.unsuppressed: no call (the person's topic choices say).
- subject.erased: `POST /3.0/lists/{list_id}/members/{hash}/actions/delete-permanent`
  on each audience (204; 404: not a member).
- retry: 429 and 5xx; give up: 400, 401, 403, other 4xx.
"""

import base64
import hashlib

from preferences.propagation.transport.provider import Call, ProviderConnector, segment


class MailchimpConnector(ProviderConnector):
    def base_url(self, destination) -> str:
        if destination.url:
            return destination.url.rstrip("/")
        dc = (destination.secret or "").rpartition("-")[2] or "us1"
        return f"https://{dc}.api.mailchimp.com"

    def auth(self, destination) -> dict:
        token = base64.b64encode(f"hush:{destination.secret or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def calls(self, destination, event):
        member = hashlib.md5(event.email.lower().encode(), usedforsecurity=False).hexdigest()
        lists = self.lists(destination)
        if event.type == "subscription.changed":
            audience = lists.get(event.topic)
            status = "unsubscribed" if event.opted_out else (
                "subscribed" if event.new == "subscribed" else None)
            if audience is None or status is None:
                return
            yield self._status(audience, member, event.email, status)
        elif event.type == "subject.suppressed":
            for audience in dict.fromkeys(lists.values()):
                yield self._status(audience, member, event.email, "unsubscribed")
        elif event.type == "subject.erased":
            for audience in dict.fromkeys(lists.values()):
                yield Call("POST", f"/3.0/lists/{segment(str(audience))}/members/{member}"
                           "/actions/delete-permanent", missing_ok=True)

    @staticmethod
    def _status(audience, member, address, status) -> Call:
        return Call("PUT", f"/3.0/lists/{segment(str(audience))}/members/{member}",
                    json={"email_address": address, "status_if_new": status, "status": status})
