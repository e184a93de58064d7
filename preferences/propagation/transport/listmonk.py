"""listmonk: the blocklist and list unsubscription (a self-hosted listmonk's API).

Contract (listmonk.app/docs/apis):
- auth: HTTP Basic `<API user>:<token>` (the destination's secret, "user:token"); base:
  the destination's URL (listmonk runs where the company runs it).
- the subscriber is looked up first: `GET /api/subscribers?query=subscribers.email='...'
  &per_page=1` (200, `data.results[0].id`); none: nothing to do.
- subscription.changed: `PUT /api/subscribers/lists` `{"ids": [id], "action":
  "unsubscribe" | "add", "target_list_ids": [list_id], "status": "confirmed"}` (200). The
  list is the topic's in `options.lists`.
- subject.suppressed: `PUT /api/subscribers/blocklist` `{"ids": [id]}` (200).
  subject.unsuppressed: no call (listmonk has no un-blocklist; staff re-enable there).
- subject.erased: `DELETE /api/subscribers/{id}` (200; 404: gone already).
- retry: 429 and 5xx; give up: 400, 401, 403, other 4xx.
"""

import base64
from urllib.parse import urlencode

from preferences.propagation.transport.provider import Call, ProviderConnector


class ListmonkConnector(ProviderConnector):
    def auth(self, destination) -> dict:
        token = base64.b64encode((destination.secret or "").encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def calls(self, destination, event):
        if event.type == "subject.unsuppressed":
            return
        target = None
        if event.type == "subscription.changed":
            target = self.lists(destination).get(event.topic)
            if target is None or not (event.opted_out or event.new == "subscribed"):
                return
        quoted = event.email.replace("'", "''")  # listmonk's query is an SQL expression
        found = yield Call("GET", "/api/subscribers?" + urlencode(
            {"query": f"subscribers.email = '{quoted}'", "per_page": 1}))
        results = ((found.data or {}).get("data") or {}).get("results") or []
        if not results:
            return
        subscriber = results[0]["id"]
        if event.type == "subscription.changed":
            yield Call("PUT", "/api/subscribers/lists", json={
                "ids": [subscriber], "action": "unsubscribe" if event.opted_out else "add",
                "target_list_ids": [int(target)], "status": "confirmed"})
        elif event.type == "subject.suppressed":
            yield Call("PUT", "/api/subscribers/blocklist", json={"ids": [subscriber]})
        elif event.type == "subject.erased":
            yield Call("DELETE", f"/api/subscribers/{int(subscriber)}", missing_ok=True)
