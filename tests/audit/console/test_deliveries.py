"""Deliveries page: health per destination, failed and pending lists, retry one or all,
pause and resume; actions for privacy officers only."""

import audit
from audit.models import AuditEvent
from preferences import services
from preferences.models import Delivery, Destination
from preferences.propagation.delivery import delivery_run


def failed_delivery(alice, newsletter, receiver):
    receiver.fail_with(400)
    services.subscription_set(subject=alice, topic=newsletter, status="unsubscribed",
                              source="api", actor=audit.SYSTEM)
    delivery = Delivery.objects.get()
    delivery_run(delivery_id=delivery.pk)
    return delivery


def test_it_shows_health_and_the_failed_list(officer, alice, newsletter, webhook, receiver):
    delivery = failed_delivery(alice, newsletter, receiver)
    page = officer.get("/console/deliveries/").content.decode()
    assert '<th scope="row">crm</th>' in page
    failed = page.split('id="failed"')[1].split("</table>")[0]
    assert f"<td>{delivery.pk}</td>" in failed and "400" in failed


def test_an_officer_retries_one_failed_delivery(officer, alice, newsletter, webhook, receiver,
                                                 django_capture_on_commit_callbacks):
    delivery = failed_delivery(alice, newsletter, receiver)
    receiver.recover()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post("/console/deliveries/retry/", {"id": delivery.pk}, follow=True)
    assert "1 failed delivery queued again." in response.content.decode()
    assert Delivery.objects.get().status == "delivered"
    assert AuditEvent.objects.get(action="delivery.retried").actor_type == "user"


def test_an_auditor_sees_but_cannot_retry(staff_client, alice, newsletter, webhook, receiver):
    failed_delivery(alice, newsletter, receiver)
    client = staff_client("auditor")
    page = client.get("/console/deliveries/").content.decode()
    assert "Retry" not in page
    assert client.post("/console/deliveries/retry/", {"all": "1"}).status_code == 403
    assert Delivery.objects.get().status == "failed"


def test_pause_holds_a_destination_until_resumed(officer, webhook):
    officer.post(f"/console/destinations/{webhook.pk}/pause/")
    webhook.refresh_from_db()
    assert webhook.paused_at is not None and webhook.next_probe_at is None  # no auto-probe
    officer.post(f"/console/destinations/{webhook.pk}/resume/")
    assert Destination.objects.get(pk=webhook.pk).paused_at is None
    assert list(AuditEvent.objects.filter(action__startswith="destination.")
                .order_by("id").values_list("action", flat=True)) == [
        "destination.paused", "destination.resumed"]
