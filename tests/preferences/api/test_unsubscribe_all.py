"""POST /api/v1/subjects/<id>/unsubscribe-all: the global opt-out."""

import uuid

import pytest

from preferences.models import ConsentEvent, Subject, Subscription, Suppression
from tests.common.api import api_audit, error_of, key_prefix, state


def url(subject_id):
    return f"/api/v1/subjects/{subject_id}/unsubscribe-all"


@pytest.fixture
def writer(api):
    return api("subjects:write", "subjects:read")


def test_it_unsubscribes_from_everything(writer, alice):
    response = writer.post(url(alice.public_id))
    assert response.status_code == 200
    assert response.json() == {"id": str(alice.public_id), "changed": True}
    alice.refresh_from_db()
    assert alice.unsubscribed_all
    suppression = Suppression.objects.get(email_digest=alice.email_digest)
    assert suppression.reason == "unsubscribed_all"
    # topic choices are kept, so lifting the opt-out restores them
    assert set(Subscription.objects.filter(subject=alice).values_list("status", flat=True)) == {
        "subscribed"}


def test_it_records_a_consent_event_and_an_audit_event_as_the_key(writer, alice):
    writer.post(url(alice.public_id))
    event = ConsentEvent.objects.get(subject=alice, source="api")
    assert (event.kind, event.topic, event.new_status) == ("unsubscribe_all", None,
                                                          "unsubscribed_all")
    record = api_audit(action="consent.changed").get()
    assert (record.actor_id, record.target_id) == (key_prefix(), str(alice.public_id))
    assert record.details == {"kind": "unsubscribe_all", "old": "", "new": "unsubscribed_all",
                              "source": "api"}


def test_consent_checks_refuse_the_subject_afterwards(api, writer, alice, bob):
    writer.post(url(alice.public_id))
    checker = api("consent:check")
    for topic in ("newsletter", "offers"):
        response = checker.post("/api/v1/consent/check", {
            "topic": topic, "recipients": ["alice@example.com", str(alice.public_id),
                                           "bob@example.org"]}, format="json")
        assert response.json()["allowed"] == ["bob@example.org"]


def test_posting_twice_equals_once(writer, alice):
    writer.post(url(alice.public_id))
    before = state()
    response = writer.post(url(alice.public_id))
    assert response.json() == {"id": str(alice.public_id), "changed": False}
    assert state() == before


def test_it_works_for_a_subject_without_email(writer, newsletter):
    subject = Subject.objects.create(external_id="app-9")
    assert writer.post(url(subject.public_id)).json()["changed"] is True
    assert not Suppression.objects.exists()


def test_it_changes_only_the_subject_named(writer, alice, bob):
    writer.post(url(alice.public_id))
    bob.refresh_from_db()
    assert not bob.unsubscribed_all
    assert not Suppression.objects.filter(email_digest=bob.email_digest).exists()


def test_a_key_that_cannot_read_is_not_told_whether_it_changed(api, alice):
    client = api("subjects:write")
    first, second = client.post(url(alice.public_id)), client.post(url(alice.public_id))
    assert first.json() == second.json() == {"id": str(alice.public_id)}


@pytest.mark.parametrize("subject_id", [uuid.uuid4(), "not-a-uuid"])
def test_it_answers_404_for_no_such_subject(writer, alice, subject_id):
    before = state()
    error_of(writer.post(url(subject_id)), 404, "not_found")
    assert state() == before


def test_it_requires_an_api_key(api, alice):
    before = state()
    error_of(api().post(url(alice.public_id)), 401, "not_authenticated")
    assert state() == before


@pytest.mark.parametrize("scopes", [("subjects:read",), ("consent:check",),
                                    ("subjects:read", "consent:check")])
def test_it_requires_the_subjects_write_scope(api, alice, scopes):
    before = state()
    response = api(*scopes).post(url(alice.public_id))
    assert "subjects:write" in error_of(response, 403, "permission_denied")["message"]
    assert state() == before


def test_it_refuses_get(writer, alice):
    error_of(writer.get(url(alice.public_id)), 405, "method_not_allowed")
    alice.refresh_from_db()
    assert not alice.unsubscribed_all
