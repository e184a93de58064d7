"""Postmark: suppressions per message stream.

Contract (postmarkapp.com/developer, "Suppressions API"):
- auth: `X-Postmark-Server-Token: <server token>` (the destination's secret); base
  https://api.postmarkapp.com.
- subscription.changed, opted out: `POST /message-streams/{stream}/suppressions`
  `{"Suppressions": [{"EmailAddress": ...}]}` (200); back in: `POST
  /message-streams/{stream}/suppressions/delete` with the same body (200). The stream is
  the topic's in `options.lists`.
- subject.suppressed and subject.erased: the suppression on every stream in
  `options.lists` and `options.stream` (default "broadcast"); Postmark keeps no contact
  to delete. subject.unsuppressed: the delete on each of them.
- retry: 429 and 5xx; give up: 401 (bad token), 422 (invalid request), other 4xx.
"""

from preferences.propagation.transport.provider import Call, ProviderConnector, segment


class PostmarkConnector(ProviderConnector):
    default_base = "https://api.postmarkapp.com"

    def auth(self, destination) -> dict:
        return {"X-Postmark-Server-Token": destination.secret or ""}

    def streams(self, destination) -> list[str]:
        default = (destination.options or {}).get("stream", "broadcast")
        return list(dict.fromkeys([default, *self.lists(destination).values()]))

    def calls(self, destination, event):
        body = {"Suppressions": [{"EmailAddress": event.email}]}
        if event.type == "subscription.changed":
            stream = self.lists(destination).get(event.topic)
            if stream is None:
                return
            path = f"/message-streams/{segment(stream)}/suppressions"
            if event.opted_out:
                yield Call("POST", path, json=body)
            elif event.new == "subscribed":
                yield Call("POST", f"{path}/delete", json=body)
        elif event.type in ("subject.suppressed", "subject.erased", "subject.unsuppressed"):
            lift = event.type == "subject.unsuppressed"
            for stream in self.streams(destination):
                path = f"/message-streams/{segment(stream)}/suppressions"
                yield Call("POST", f"{path}/delete" if lift else path, json=body)
