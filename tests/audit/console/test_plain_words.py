"""The console speaks plainly: audit details as labelled fields, actors by name and
role (staff) or masked address (subjects), durations and rates in words, and a
destination's state that matches its figures."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

import audit
from audit.console import plain
from preferences import services
from preferences.models import ApiKey, Delivery
from preferences.propagation.delivery import delivery_run


@pytest.mark.parametrize(("value", "words"), [
    (149.0, "2 minutes 29 seconds"),
    (timedelta(days=365), "1 year"),
    (timedelta(days=30), "30 days"),
    (3600, "1 hour"),
    (90061, "1 day 1 hour"),
    (1, "1 second"),
    (0.2, "under a second"),
    (None, "\u2013"),
])
def test_it_says_durations_in_words(value, words):
    assert plain.duration_words(value) == words


def test_it_says_rates_in_words():
    assert plain.rate_words(3, 3) == "all 3 attempts failed"
    assert plain.rate_words(0, 40) == "none failed"
    assert plain.rate_words(3, 40) == "3 of 40 attempts failed (8 %)"
    assert plain.rate_words(0, 0) == "no attempts"


def test_the_trail_shows_details_as_labelled_fields_and_actors_by_name(staff_client, alice):
    client = staff_client("privacy officer")
    staff = get_user_model().objects.get(username="privacy_officer")
    audit.record(actor=staff, action="staff.login_failed", details={"throttled": True})
    audit.record(actor=alice, action="preferences.changed", target=alice,
                 details={"topics": ["newsletter", "offers"], "oldest_seconds": 149.0})
    key = ApiKey.objects.create_key(name="mailer", scopes=["consent:check"])[0]
    audit.record(actor=key, action="consent.checked")

    page = client.get("/console/audit/").content.decode()
    assert "{&#x27;throttled&#x27;: True}" not in page and "{'throttled'" not in page
    assert "<dt>Slowed down (too many requests)</dt><dd>yes</dd>" in page
    assert "<dt>Topics</dt><dd>newsletter, offers</dd>" in page
    assert "<dt>Oldest seconds</dt><dd>2 minutes 29 seconds</dd>" in page
    actors = page.split('id="events"')[1]
    assert "privacy_officer (privacy officer)" in actors
    assert "subject a•••@example.com" in actors
    assert "API key “mailer”" in actors
    # The subject's opaque id is not what a person reads as its actor.
    assert f"subject:{alice.public_id}" not in actors
    assert "alice@example.com" not in page


def test_an_erased_subject_is_named_as_no_longer_on_file(staff_client):
    client = staff_client("auditor")
    # Erasure removes the subject's row; the trail keeps the opaque id it had.
    audit.record(actor=("subject", str(uuid.uuid4())), action="preferences.changed")
    page = client.get("/console/audit/").content.decode()
    assert "a subject no longer on file" in page


def _deliveries(alice, newsletter, receiver, status: int, times: int):
    receiver.fail_with(status)
    for i in range(times):
        services.subscription_set(subject=alice, topic=newsletter,
                                  status="unsubscribed" if i % 2 == 0 else "subscribed",
                                  source="api", actor=audit.SYSTEM)
    for delivery in Delivery.objects.filter(status="pending"):
        delivery_run(delivery_id=delivery.pk)


def _state_cell(page: str) -> str:
    row = page.split('<th scope="row">crm</th>')[1].split("</tr>")[0]
    return row


def test_a_destination_failing_every_delivery_is_not_shown_healthy(officer, alice, newsletter,
                                                                   webhook, receiver):
    _deliveries(alice, newsletter, receiver, 400, 3)
    assert Delivery.objects.filter(status="failed").count() == 3
    row = _state_cell(officer.get("/console/deliveries/").content.decode())
    assert 'data-state="failing"' in row and "failing: no delivery succeeds" in row
    assert "active" not in row and "healthy" not in row
    assert "all 3 attempts failed" in row


def test_a_destination_that_delivers_is_healthy_with_latency_in_words(officer, alice,
                                                                       newsletter, webhook,
                                                                       receiver):
    _deliveries(alice, newsletter, receiver, 200, 2)
    row = _state_cell(officer.get("/console/deliveries/").content.decode())
    assert 'data-state="healthy"' in row and "none failed" in row
    assert " ms" in row or "second" in row


def test_the_state_follows_the_figures():
    class Destination:
        enabled = True

    base = {"paused": False, "failure_rate": 0.0, "oldest_pending_seconds": None,
            "failed": 0, "delivered": 5}
    assert plain.destination_state(Destination, base).key == "healthy"
    assert plain.destination_state(Destination, {**base, "failure_rate": 1.0}).key == "failing"
    assert plain.destination_state(Destination, {**base, "failure_rate": 0.5}).key == "degraded"
    assert plain.destination_state(
        Destination, {**base, "oldest_pending_seconds": 3600}).key == "behind"
    assert plain.destination_state(Destination, {**base, "paused": True}).key == "paused"
    assert plain.destination_state(
        Destination, {**base, "failure_rate": None, "delivered": 0}).key == "idle"
