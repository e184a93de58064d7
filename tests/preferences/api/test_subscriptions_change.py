"""PATCH /api/v1/subjects/<id>/subscriptions: change topics, all or none."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from preferences.models import ConsentEvent, Subscription
from tests.common.api import api_audit, error_of, key_prefix, state


def url(subject_id):
    return f"/api/v1/subjects/{subject_id}/subscriptions"


def patch(client, subject, *changes, body=None):
    if body is None:
        body = {"changes": list(changes)}
    return client.patch(url(subject.public_id), body, format="json")


def status_of(subject, topic):
    return Subscription.objects.get(subject=subject, topic=topic).status


def in_days(days):
    return (timezone.now() + timedelta(days=days)).isoformat()


@pytest.fixture
def writer(api):
    return api("subjects:write", "subjects:read")


def test_it_changes_subscriptions(writer, alice, newsletter, offers, sms_alerts):
    response = patch(writer, alice, {"topic": "offers", "status": "unsubscribed"},
                     {"topic": "sms-alerts", "status": "subscribed"})
    assert response.status_code == 200
    assert response.json() == {"id": str(alice.public_id), "changed": ["offers", "sms-alerts"]}
    assert status_of(alice, offers) == "unsubscribed"
    assert status_of(alice, sms_alerts) == "subscribed"
    assert status_of(alice, newsletter) == "subscribed"


def test_it_records_consent_events_and_audit_events_as_the_key(writer, alice, offers):
    patch(writer, alice, {"topic": "offers", "status": "unsubscribed"})
    event = ConsentEvent.objects.get(subject=alice, source="api")
    assert (event.kind, event.topic, event.old_status, event.new_status) == (
        "subscription", offers, "subscribed", "unsubscribed")
    record = api_audit(action="consent.changed").get()
    assert (record.actor_id, record.target_id) == (key_prefix(), str(alice.public_id))
    assert record.details == {"kind": "subscription", "old": "subscribed",
                              "new": "unsubscribed", "source": "api", "topic": "offers"}


def test_it_pauses_a_subscription(writer, alice, offers):
    until = timezone.now() + timedelta(weeks=2)
    response = patch(writer, alice, {"topic": "offers", "status": "paused",
                                     "paused_until": until.isoformat()})
    assert response.json()["changed"] == ["offers"]
    sub = Subscription.objects.get(subject=alice, topic=offers)
    assert (sub.status, sub.paused_until) == ("paused", until)
    event = ConsentEvent.objects.get(subject=alice, source="api")
    assert (event.new_status, event.paused_until) == ("paused", until)
    record = api_audit(action="consent.changed").get()
    assert datetime.fromisoformat(record.details["paused_until"]) == until


def test_it_resumes_a_pause(writer, alice, offers):
    patch(writer, alice, {"topic": "offers", "status": "paused", "paused_until": in_days(3)})
    response = patch(writer, alice, {"topic": "offers", "status": "subscribed"})
    assert response.json()["changed"] == ["offers"]
    sub = Subscription.objects.get(subject=alice, topic=offers)
    assert (sub.status, sub.paused_until) == ("subscribed", None)


def test_an_unchanged_state_changes_nothing(writer, alice):
    before = state()
    response = patch(writer, alice, {"topic": "offers", "status": "subscribed"})
    assert response.json() == {"id": str(alice.public_id), "changed": []}
    assert state() == before


def test_it_changes_only_the_subject_named(writer, alice, bob, offers):
    patch(writer, alice, {"topic": "offers", "status": "unsubscribed"})
    assert status_of(bob, offers) == "subscribed"
    assert not ConsentEvent.objects.filter(subject=bob, source="api").exists()


def test_it_is_all_or_nothing(writer, alice, offers):
    before = state()
    response = patch(writer, alice, {"topic": "offers", "status": "unsubscribed"},
                     {"topic": "newsletter", "status": "paused",
                      "paused_until": (timezone.now() - timedelta(days=1)).isoformat()})
    assert "changes" in error_of(response, 400, "invalid")["fields"]
    assert state() == before
    assert status_of(alice, offers) == "subscribed"


def test_it_refuses_an_unknown_topic_and_changes_nothing(writer, alice, offers):
    before = state()
    response = patch(writer, alice, {"topic": "offers", "status": "unsubscribed"},
                     {"topic": "nope", "status": "subscribed"})
    assert error_of(response, 404, "not_found")["message"] == "changes: unknown topic: 'nope'"
    assert state() == before


@pytest.mark.parametrize("body", [
    {},
    {"changes": []},
    {"changes": "offers"},
    {"changes": [{"topic": "offers", "status": "subscribed"}] * 101},
    {"changes": [{"topic": "offers", "status": "gone"}]},
    {"changes": [{"topic": "offers"}]},
    {"changes": [{"status": "subscribed"}]},
    {"changes": [{"topic": "not a slug", "status": "subscribed"}]},
    {"changes": [{"topic": "offers", "status": "paused"}]},
    {"changes": [{"topic": "offers", "status": "subscribed", "paused_until": "2099-01-01T00:00Z"}]},
    {"changes": [{"topic": "offers", "status": "paused", "paused_until": "soon"}]},
    {"changes": [{"topic": "offers", "status": "paused", "paused_until": None}]},
    {"changes": [{"topic": "offers", "status": "unsubscribed", "reason": "spam"}]},
    {"changes": [{"topic": "offers", "status": "unsubscribed"}], "notify": True},
])
def test_it_refuses_malformed_changes_and_changes_nothing(writer, alice, body):
    before = state()
    error_of(patch(writer, alice, body=body), 400, "invalid")
    assert state() == before


def test_it_refuses_a_pause_that_has_already_ended(writer, alice):
    response = patch(writer, alice, {"topic": "offers", "status": "paused",
                                     "paused_until": timezone.now().isoformat()})
    assert error_of(response, 400, "invalid")["fields"] == {
        "changes": ["a pause must end in the future"]}


@pytest.mark.parametrize("subject_id", [uuid.uuid4(), "not-a-uuid"])
def test_it_answers_404_for_no_such_subject(writer, alice, subject_id):
    before = state()
    response = writer.patch(url(subject_id), {"changes": [{"topic": "offers",
                                                            "status": "unsubscribed"}]},
                            format="json")
    error_of(response, 404, "not_found")
    assert state() == before


def test_a_key_that_cannot_read_is_not_told_what_changed(api, alice, offers):
    response = patch(api("subjects:write"), alice, {"topic": "offers", "status": "unsubscribed"})
    assert response.json() == {"id": str(alice.public_id)}
    assert status_of(alice, offers) == "unsubscribed"


def test_it_requires_an_api_key(api, alice):
    before = state()
    error_of(patch(api(), alice, {"topic": "offers", "status": "unsubscribed"}), 401,
             "not_authenticated")
    assert state() == before


@pytest.mark.parametrize("scopes", [("subjects:read",), ("consent:check",),
                                    ("subjects:read", "consent:check")])
def test_it_requires_the_subjects_write_scope(api, alice, scopes):
    before = state()
    response = patch(api(*scopes), alice, {"topic": "offers", "status": "unsubscribed"})
    assert "subjects:write" in error_of(response, 403, "permission_denied")["message"]
    assert state() == before


def test_it_refuses_put(writer, alice):
    response = writer.put(url(alice.public_id), {"changes": [{"topic": "offers",
                                                              "status": "unsubscribed"}]},
                          format="json")
    error_of(response, 405, "method_not_allowed")
