"""The outbox, the delivery state machine, ordering, the sweeper and destinations."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

import audit
from audit.models import AuditEvent
from preferences import services
from preferences.models import Delivery, Destination
from preferences.propagation import delivery as deliveries
from preferences.propagation import webhooks
from preferences.propagation.transport import Outcome, classify

UNSUB = {"status": "unsubscribed", "source": "api", "actor": audit.SYSTEM}


def unsubscribe(subject, topic):
    return services.subscription_set(subject=subject, topic=topic, **UNSUB)


def run(delivery):
    return deliveries.delivery_run(delivery_id=delivery.pk)


# --- the outbox ---------------------------------------------------------------------

def test_a_change_writes_one_delivery_per_matching_destination(alice, newsletter, offers,
                                                               webhook):
    only_offers = Destination.objects.create(name="ads", kind="webhook", url=webhook.url)
    only_offers.topics.set([offers])
    Destination.objects.create(name="off", kind="webhook", url=webhook.url, enabled=False)
    only_erasures = Destination.objects.create(name="dwh", kind="webhook", url=webhook.url,
                                               event_types=["subject.erased"])
    unsubscribe(alice, newsletter)
    assert list(Delivery.objects.values_list("destination__name", flat=True)) == ["crm"]
    unsubscribe(alice, offers)
    assert Delivery.objects.filter(destination=only_offers).count() == 1
    assert not Delivery.objects.filter(destination=only_erasures).exists()


def test_the_payload_names_the_subject_by_opaque_id_only(alice, newsletter, webhook):
    unsubscribe(alice, newsletter)
    delivery = Delivery.objects.get()
    body = deliveries.delivery_body(delivery)
    assert body["id"] == str(delivery.key)
    assert body["type"] == "subscription.changed"
    assert body["subject"] == {"id": str(alice.public_id), "external_id": "alice-1"}
    assert (body["topic"], body["old"], body["new"], body["source"]) == (
        "newsletter", "subscribed", "unsubscribed", "api")
    assert "occurred_at" in body and "sequence" in body
    assert "alice@" not in json.dumps(delivery.payload)


def test_the_email_is_added_at_send_time_only_where_allowed(alice, newsletter, webhook):
    webhook.include_email = True
    webhook.save()
    unsubscribe(alice, newsletter)
    delivery = Delivery.objects.get()
    assert "email" not in delivery.payload["subject"]  # never stored in the outbox
    assert deliveries.delivery_body(delivery)["subject"]["email"] == "alice@example.com"


def test_unsubscribe_all_is_a_suppressed_event(alice, webhook):
    services.subject_unsubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    services.subject_resubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    assert list(Delivery.objects.order_by("id").values_list("event_type", flat=True)) == [
        "subject.suppressed", "subject.unsuppressed"]


def test_a_rolled_back_change_leaves_no_delivery(alice, newsletter, webhook, monkeypatch):
    monkeypatch.setattr("audit.services.audit_records",  # every audit write ends here
                        lambda **kw: (_ for _ in ()).throw(RuntimeError("down")))
    with pytest.raises(RuntimeError):
        unsubscribe(alice, newsletter)
    assert not Delivery.objects.exists()


def test_deliveries_are_queued_only_after_commit(alice, newsletter, webhook, receiver,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        unsubscribe(alice, newsletter)
    assert receiver.bodies() == []  # nothing left before commit
    for callback in callbacks:
        callback()
    assert [b["new"] for b in receiver.bodies()] == ["unsubscribed"]
    assert Delivery.objects.get().status == "delivered"


# --- sending ------------------------------------------------------------------------

def test_a_webhook_is_signed_so_the_receiver_can_check_it(alice, newsletter, webhook, receiver):
    unsubscribe(alice, newsletter)
    assert run(Delivery.objects.get()) == "delivered"
    request = receiver.received[0]
    header = request["headers"]["Hush-Signature"]
    assert webhooks.verify(secret="test-signing-secret", header=header, body=request["raw"])
    assert not webhooks.verify(secret="wrong", header=header, body=request["raw"])
    assert not webhooks.verify(secret="test-signing-secret", header=header,
                               body=request["raw"] + b" ")
    assert request["headers"]["Hush-Delivery"] == request["body"]["id"]


def test_signatures_expire():
    header = webhooks.sign(secret="s", body=b"{}", timestamp=1_000_000)
    assert webhooks.verify(secret="s", header=header, body=b"{}", now=1_000_100)
    assert not webhooks.verify(secret="s", header=header, body=b"{}", now=1_000_400)
    assert not webhooks.verify(secret="s", header="garbage", body=b"{}")


@pytest.mark.parametrize("status,retryable", [
    (500, True), (502, True), (503, True), (429, True), (408, True),
    (400, False), (401, False), (404, False), (410, False),
])
def test_statuses_are_classified(status, retryable):
    outcome = classify(status)
    assert not outcome.ok and outcome.retryable is retryable


def test_retry_after_is_read_in_seconds_or_as_a_date():
    assert classify(429, "120").retry_after == 120
    later = (timezone.now() + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 80 < classify(503, later).retry_after <= 90


def test_a_5xx_is_retried_later(alice, newsletter, webhook, receiver):
    receiver.fail_with(503)
    unsubscribe(alice, newsletter)
    delivery = Delivery.objects.get()
    assert run(delivery) == "pending"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (1, 503)
    assert delivery.next_attempt_at > timezone.now()
    assert run(delivery) == "skipped"  # not due yet


def test_retry_after_is_honoured(alice, newsletter, webhook, receiver):
    receiver.fail_with(429, **{"Retry-After": "120"})
    unsubscribe(alice, newsletter)
    run(Delivery.objects.get())
    assert Delivery.objects.get().next_attempt_at >= timezone.now() + timedelta(seconds=119)


def test_a_4xx_fails_at_once_with_the_reason(alice, newsletter, webhook, receiver):
    receiver.fail_with(422)
    unsubscribe(alice, newsletter)
    assert run(Delivery.objects.get()) == "failed"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error, delivery.attempts) == ("failed", "HTTP 422", 1)
    assert AuditEvent.objects.filter(action="delivery.failed").exists()


def test_a_dead_receiver_is_retried(alice, newsletter, webhook):
    webhook.url = "http://127.0.0.1:9/unreachable"
    webhook.save()
    unsubscribe(alice, newsletter)
    assert run(Delivery.objects.get()) == "pending"
    assert Delivery.objects.get().last_error == "ConnectionRefusedError"


def test_it_gives_up_after_the_attempt_limit(alice, newsletter, webhook, receiver, settings):
    settings.HUSH_DELIVERY_MAX_ATTEMPTS = 3
    receiver.fail_with(500)
    unsubscribe(alice, newsletter)
    delivery = Delivery.objects.get()
    for expected in ("pending", "pending", "failed"):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert run(delivery) == expected


def test_it_gives_up_past_the_age_limit(alice, newsletter, webhook, receiver, settings):
    receiver.fail_with(500)
    unsubscribe(alice, newsletter)
    Delivery.objects.update(created_at=timezone.now() - timedelta(days=3))
    assert run(Delivery.objects.get()) == "failed"


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings):
    settings.HUSH_DELIVERY_BACKOFF_BASE, settings.HUSH_DELIVERY_BACKOFF_CAP = 1, 60
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (20, 60)]:
        delays = [deliveries.backoff(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert deliveries.backoff(1, retry_after=30) >= 30


def test_a_callable_destination_is_called_with_the_body(alice, newsletter, db):
    received.clear()
    Destination.objects.create(name="cache", kind="callable",
                               callable_path=f"{__name__}.remember")
    unsubscribe(alice, newsletter)
    assert run(Delivery.objects.get()) == "delivered"
    assert received[0]["subject"]["id"] == str(alice.public_id)


def test_a_failing_callable_is_retried(alice, newsletter, db):
    Destination.objects.create(name="cache", kind="callable",
                               callable_path=f"{__name__}.explode")
    unsubscribe(alice, newsletter)
    assert run(Delivery.objects.get()) == "pending"
    assert Delivery.objects.get().last_error == "ConnectionRefusedError"


received: list[dict] = []


def remember(body):
    received.append(body)


def explode(body):
    raise ConnectionRefusedError("cache down")


# --- claiming and ordering ---------------------------------------------------------------

def test_a_delivery_is_claimed_once(alice, newsletter, webhook):
    unsubscribe(alice, newsletter)
    delivery = Delivery.objects.get()
    assert deliveries.delivery_claim(delivery_id=delivery.pk) is not None
    assert deliveries.delivery_claim(delivery_id=delivery.pk) is None


def test_a_stale_worker_cannot_overwrite_a_newer_claim(alice, newsletter, webhook, monkeypatch):
    from preferences.propagation.tasks import delivery_run

    monkeypatch.setattr(delivery_run, "delay", lambda *a, **kw: None)  # queued, not yet picked up
    unsubscribe(alice, newsletter)
    first = deliveries.delivery_claim(delivery_id=Delivery.objects.get().pk)
    # Its lease runs out; the sweeper hands the delivery back to the queue.
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    deliveries.deliveries_sweep()
    second = deliveries.delivery_claim(delivery_id=first.pk)
    assert second.attempts == 2
    assert deliveries.delivery_record_outcome(delivery=first, outcome=Outcome(ok=True)) == \
        "lost-claim"
    assert deliveries.delivery_record_outcome(delivery=second, outcome=Outcome(ok=True)) == \
        "delivered"


def test_a_later_change_waits_for_the_earlier_one(alice, newsletter, webhook, receiver):
    receiver.fail_with(500)
    unsubscribe(alice, newsletter)
    services.subscription_set(subject=alice, topic=newsletter, status="subscribed",
                              source="api", actor=audit.SYSTEM)
    first, second = Delivery.objects.order_by("id")
    assert run(first) == "pending"
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert run(second) == "skipped"  # the earlier one is still open
    receiver.recover()
    assert run(first) == "delivered"
    assert run(second) == "delivered"
    assert [b["new"] for b in receiver.bodies()] == ["unsubscribed", "subscribed"]


def test_other_subjects_are_not_held_up(alice, bob, newsletter, webhook, receiver):
    receiver.fail_with(500)
    unsubscribe(alice, newsletter)
    run(Delivery.objects.get())
    receiver.recover()
    unsubscribe(bob, newsletter)
    assert run(Delivery.objects.get(subject=bob)) == "delivered"


def test_finishing_one_queues_the_subjects_next(alice, newsletter, webhook, receiver,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        unsubscribe(alice, newsletter)
        services.subscription_set(subject=alice, topic=newsletter, status="subscribed",
                                  source="api", actor=audit.SYSTEM)
    first = Delivery.objects.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        run(first)
    assert [b["new"] for b in receiver.bodies()] == ["unsubscribed", "subscribed"]


# --- the sweeper and destination health ----------------------------------------------------

def test_the_sweeper_requeues_a_lost_message(alice, newsletter, webhook, receiver, settings,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the broker message is lost
        unsubscribe(alice, newsletter)
    assert deliveries.deliveries_sweep()["requeued"] == 0  # queued just now: give it time
    Delivery.objects.update(queued_at=timezone.now() - timedelta(minutes=1))
    assert deliveries.deliveries_sweep()["requeued"] == 1
    assert Delivery.objects.get().status == "delivered"


def test_the_sweeper_recovers_a_killed_workers_delivery(alice, newsletter, webhook, receiver,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        unsubscribe(alice, newsletter)
    deliveries.delivery_claim(delivery_id=Delivery.objects.get().pk)  # then the worker dies
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    report = deliveries.deliveries_sweep()
    assert report["expired_leases"] == 1 and report["requeued"] == 1
    assert Delivery.objects.get().status == "delivered"
    assert len(receiver.bodies()) == 1


def test_a_failing_destination_is_paused_then_probed_back(alice, bob, newsletter, webhook,
                                                          receiver, settings):
    settings.HUSH_DESTINATION_PAUSE_AFTER = 2
    receiver.fail_with(500)
    unsubscribe(alice, newsletter)
    unsubscribe(bob, newsletter)
    for delivery in Delivery.objects.all():
        run(delivery)
    webhook.refresh_from_db()
    assert webhook.paused_at is not None
    assert AuditEvent.objects.filter(action="destination.paused").exists()
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert all(run(d) == "skipped" for d in Delivery.objects.all())  # paused: backlog kept

    receiver.recover()
    Destination.objects.update(next_probe_at=timezone.now())
    assert deliveries.deliveries_sweep()["probes"] == 1
    webhook.refresh_from_db()
    assert webhook.paused_at is None
    assert AuditEvent.objects.filter(action="destination.resumed").exists()
    deliveries.deliveries_sweep()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_failed_deliveries_can_be_retried(alice, newsletter, webhook, receiver,
                                          django_capture_on_commit_callbacks):
    receiver.fail_with(400)
    unsubscribe(alice, newsletter)
    run(Delivery.objects.get())
    receiver.recover()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deliveries", "retry", "--all")
    assert Delivery.objects.get().status == "delivered"
    assert AuditEvent.objects.filter(action="delivery.retried").exists()


def test_health_reports_backlog_failures_and_latency(alice, bob, newsletter, webhook, receiver):
    from preferences.propagation.selectors import destination_health

    unsubscribe(alice, newsletter)
    run(Delivery.objects.get())
    receiver.fail_with(500)
    unsubscribe(bob, newsletter)
    run(Delivery.objects.get(subject=bob))
    webhook.refresh_from_db()
    health = destination_health(webhook)
    assert (health["pending"], health["delivered"], health["failed"]) == (1, 1, 0)
    assert health["failure_rate"] == 0.5
    assert health["latency_p50_ms"] is not None and health["oldest_pending_seconds"] >= 0
    assert health["last_success_at"] is not None


def test_destination_add_prints_the_id_and_secret(db, newsletter, capsys):
    call_command("destination", "add", "crm", "--webhook", "https://93.184.216.34/hook",
                 "--topic", "newsletter")
    out = capsys.readouterr().out
    destination = Destination.objects.get(name="crm")
    assert f"id: {destination.pk}" in out
    assert f"signing secret: {destination.secret}" in out
    assert list(destination.topics.values_list("slug", flat=True)) == ["newsletter"]
    assert not destination.include_email


def test_staff_can_resume_a_paused_destination_from_the_admin(webhook, admin_client):
    Destination.objects.filter(pk=webhook.pk).update(paused_at=timezone.now(),
                                                     consecutive_failures=30)
    admin_client.post("/admin/preferences/destination/",
                      {"action": "resume", "_selected_action": [webhook.pk]})
    webhook.refresh_from_db()
    assert (webhook.paused_at, webhook.consecutive_failures) == (None, 0)
    event = AuditEvent.objects.get(action="destination.resumed")
    assert event.actor_type == "user" and event.details == {"by": "staff"}
