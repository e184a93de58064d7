"""GET /api/v1/subjects/<id>: a subject and its subscriptions."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

import audit
from preferences import services
from preferences.models import ConsentEvent, Subject, Subscription
from tests.common.api import error_of, state


def url(subject_id):
    return f"/api/v1/subjects/{subject_id}"


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_it_shows_a_subject(api, alice):
    response = api("subjects:read").get(url(alice.public_id))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(alice.public_id),
        "email": "alice@example.com",
        "external_id": "alice-1",
        "locale": "",
        "country": "GB",
        "unsubscribed_all": False,
        "subscriptions": {
            "newsletter": {"status": "subscribed", "paused_until": None},
            "offers": {"status": "subscribed", "paused_until": None},
        },
    }


def test_it_shows_only_the_subject_asked_for(api, alice, bob):
    body = api("subjects:read").get(url(bob.public_id)).json()
    assert (body["id"], body["email"], body["country"]) == (str(bob.public_id),
                                                            "bob@example.org", "FR")


def test_it_shows_a_pause_and_when_it_ends(api, alice, offers):
    services.subscription_pause(subject=alice, topic=offers, weeks=4, source="api",
                                actor=audit.SYSTEM)
    state_ = api("subjects:read").get(url(alice.public_id)).json()["subscriptions"]["offers"]
    assert state_["status"] == "paused"
    assert parse(state_["paused_until"]) == Subscription.objects.get(
        subject=alice, topic=offers).paused_until


def test_an_ended_pause_shows_as_subscribed(api, alice, offers):
    Subscription.objects.filter(subject=alice, topic=offers).update(
        status="paused", paused_until=timezone.now() - timedelta(seconds=1))
    subscriptions = api("subjects:read").get(url(alice.public_id)).json()["subscriptions"]
    assert subscriptions["offers"] == {"status": "subscribed", "paused_until": None}


def test_it_shows_the_global_opt_out(api, alice):
    services.subject_unsubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    body = api("subjects:read").get(url(alice.public_id)).json()
    assert body["unsubscribed_all"] is True
    # topic choices are kept, to apply again if the opt-out is lifted
    assert body["subscriptions"]["newsletter"]["status"] == "subscribed"


def test_it_shows_a_subject_without_email(api, newsletter):
    subject, _ = services.subject_upsert(actor=audit.SYSTEM, source="import",
                                         external_id="app-9")
    body = api("subjects:read").get(url(subject.public_id)).json()
    assert (body["email"], body["external_id"]) == (None, "app-9")


def test_it_accepts_the_id_in_other_spellings(api, alice):
    client = api("subjects:read")
    for spelling in (alice.public_id.hex, str(alice.public_id).upper()):
        assert client.get(url(spelling)).json()["id"] == str(alice.public_id)


def test_reading_changes_nothing(api, alice):
    before = state()
    api("subjects:read").get(url(alice.public_id))
    assert state() == before


@pytest.mark.parametrize("subject_id", [uuid.uuid4(), "not-a-uuid", "0" * 33, "%00"])
def test_it_answers_404_for_no_such_subject(api, alice, subject_id):
    response = api("subjects:read").get(url(subject_id))
    error_of(response, 404, "not_found")


def test_it_answers_404_once_the_subject_is_gone(api, alice):
    public_id = alice.public_id
    with ConsentEvent.deletion_allowed():  # as erasure deletes its history
        Subject.objects.filter(pk=alice.pk).delete()
    error_of(api("subjects:read").get(url(public_id)), 404, "not_found")


def test_it_requires_an_api_key(api, alice):
    error_of(api().get(url(alice.public_id)), 401, "not_authenticated")


@pytest.mark.parametrize("scopes", [("subjects:write",), ("consent:check",),
                                    ("subjects:write", "consent:check")])
def test_it_requires_the_subjects_read_scope(api, alice, scopes):
    response = api(*scopes).get(url(alice.public_id))
    error = error_of(response, 403, "permission_denied")
    assert "subjects:read" in error["message"]
    assert "alice" not in response.content.decode()


def test_it_refuses_other_methods(api, alice):
    response = api("subjects:read").delete(url(alice.public_id))
    error_of(response, 405, "method_not_allowed")
    assert Subject.objects.filter(pk=alice.pk).exists()
