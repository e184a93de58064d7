"""SendGrid: global suppressions and ASM group unsubscribes (Web API v3).

Contract (docs.sendgrid.com, "Suppressions" and "Marketing Campaigns contacts"):
- auth: `Authorization: Bearer <API key>` (the destination's secret); base
  https://api.sendgrid.com.
- subscription.changed, opted out: `POST /v3/asm/groups/{group_id}/suppressions`
  `{"recipient_emails": [address]}` (201); back in: `DELETE
  /v3/asm/groups/{group_id}/suppressions/{address}` (204; 404 is already so). The group
  is the topic's in `options.lists`; an unmapped topic is no call.
- subject.suppressed: `POST /v3/asm/suppressions/global` `{"recipient_emails": [...]}`
  (201); subject.unsuppressed: `DELETE /v3/asm/suppressions/global/{address}` (204).
- subject.erased: the global suppression stays (so the address is never mailed); the
  contact is deleted: `POST /v3/marketing/contacts/search/emails` `{"emails": [...]}`
  (200 with `result.{address}.contact.id`; 404 none), then `DELETE
  /v3/marketing/contacts?ids={id}` (202).
- retry: 429 (rate limit; Retry-After when sent) and 5xx; give up: 400, 401, 403, other 4xx.
"""

from urllib.parse import urlencode

from preferences.propagation.transport.provider import Call, ProviderConnector, segment


class SendGridConnector(ProviderConnector):
    default_base = "https://api.sendgrid.com"

    def auth(self, destination) -> dict:
        return {"Authorization": f"Bearer {destination.secret or ''}"}

    def calls(self, destination, event):
        address = event.email
        if event.type == "subscription.changed":
            group = self.lists(destination).get(event.topic)
            if group is None:
                return
            if event.opted_out:
                yield Call("POST", f"/v3/asm/groups/{segment(str(group))}/suppressions",
                           json={"recipient_emails": [address]})
            elif event.new == "subscribed":
                yield Call("DELETE", f"/v3/asm/groups/{segment(str(group))}/suppressions/"
                           f"{segment(address)}", missing_ok=True)
        elif event.type in ("subject.suppressed", "subject.erased"):
            yield Call("POST", "/v3/asm/suppressions/global",
                       json={"recipient_emails": [address]})
            if event.type == "subject.erased":
                found = yield Call("POST", "/v3/marketing/contacts/search/emails",
                                   json={"emails": [address]}, missing_ok=True)
                contact = (((found.data or {}).get("result") or {}).get(address) or {}) \
                    .get("contact") or {}
                if contact.get("id"):
                    yield Call("DELETE", "/v3/marketing/contacts?"
                               + urlencode({"ids": contact["id"]}), missing_ok=True)
        elif event.type == "subject.unsuppressed":
            yield Call("DELETE", f"/v3/asm/suppressions/global/{segment(address)}",
                       missing_ok=True)
