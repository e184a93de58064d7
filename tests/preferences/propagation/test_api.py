"""GET /api/v1/destinations and POST /api/v1/deliveries/retry (scope deliveries:manage)."""

import audit
from audit.models import AuditEvent
from preferences import services
from preferences.models import Delivery
from preferences.propagation.delivery import delivery_run
from tests.common.api import error_of


def failed_delivery(alice, newsletter, receiver):
    receiver.fail_with(400)
    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="api", actor=audit.SYSTEM)
    delivery = Delivery.objects.get()
    delivery_run(delivery_id=delivery.pk)
    return delivery


def test_it_lists_destinations_with_their_health(api, alice, newsletter, webhook, receiver):
    failed_delivery(alice, newsletter, receiver)
    body = api("deliveries:manage").get("/api/v1/destinations").json()
    assert [(d["name"], d["failed"], d["pending"]) for d in body] == [("crm", 1, 0)]
    assert body[0]["failure_rate"] == 1.0


def test_it_retries_failed_deliveries_by_id(api, alice, newsletter, webhook, receiver,
                                            django_capture_on_commit_callbacks):
    delivery = failed_delivery(alice, newsletter, receiver)
    receiver.recover()
    with django_capture_on_commit_callbacks(execute=True):
        response = api("deliveries:manage").post("/api/v1/deliveries/retry",
                                                 {"ids": [delivery.pk]}, format="json")
    assert response.json() == {"retried": 1}
    assert Delivery.objects.get().status == "delivered"
    event = AuditEvent.objects.get(action="delivery.retried")
    assert event.actor_type == "api_key"


def test_it_retries_all_and_ignores_ids_that_did_not_fail(api, alice, newsletter, webhook,
                                                         receiver):
    failed_delivery(alice, newsletter, receiver)
    client = api("deliveries:manage")
    assert client.post("/api/v1/deliveries/retry", {"ids": [999]},
                       format="json").json() == {"retried": 0}
    assert client.post("/api/v1/deliveries/retry", {"all": True},
                       format="json").json() == {"retried": 1}


def test_it_needs_ids_or_all(api, db):
    client = api("deliveries:manage")
    for body in ({}, {"ids": [1], "all": True}, {"ids": []}, {"all": False}, {"nope": 1}):
        error_of(client.post("/api/v1/deliveries/retry", body, format="json"), 400, "invalid")


def test_other_scopes_are_refused(api, db):
    client = api("subjects:read", "subjects:write", "consent:check")
    error_of(client.get("/api/v1/destinations"), 403, "permission_denied")
    error_of(client.post("/api/v1/deliveries/retry", {"all": True}, format="json"), 403,
             "permission_denied")
