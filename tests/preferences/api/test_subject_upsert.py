"""POST /api/v1/subjects: create or update a subject by email or external_id."""

import json

import pytest

from common.crypto import email_digest
from preferences.models import ConsentEvent, Subject, Subscription
from tests.common.api import api_audit, error_of, key_prefix, state

URL = "/api/v1/subjects"


def post(client, body):
    return client.post(URL, body, format="json")


def statuses(subject):
    return dict(Subscription.objects.filter(subject=subject)
                .values_list("topic__slug", "status"))


def test_it_creates_a_subject(api, newsletter, offers, sms_alerts):
    response = post(api("subjects:write", "subjects:read"), {
        "email": "Carol@Example.NET", "external_id": "carol-3", "locale": "fr-CA",
        "country": "ca", "subscriptions": {"offers": True, "sms-alerts": False},
    })
    assert response.status_code == 200
    assert set(response.json()) == {"id"}
    carol = Subject.objects.get(public_id=response.json()["id"])
    assert carol.email == "carol@example.net"
    assert carol.email_digest == email_digest("carol@example.net")
    assert (carol.external_id, carol.locale, carol.country) == ("carol-3", "fr-CA", "CA")
    assert not carol.unsubscribed_all
    # newsletter is subscribed by default; the others as asked
    assert statuses(carol) == {"newsletter": "subscribed", "offers": "subscribed",
                               "sms-alerts": "unsubscribed"}


def test_it_records_consent_events_and_audit_events_as_the_key(api, newsletter, offers):
    response = post(api("subjects:write"), {"email": "carol@example.net",
                                            "subscriptions": {"offers": True}})
    carol = Subject.objects.get(public_id=response.json()["id"])
    events = ConsentEvent.objects.filter(subject=carol)
    assert {(e.topic.slug, e.old_status, e.new_status, e.source) for e in events} == {
        ("newsletter", "none", "subscribed", "api"), ("offers", "none", "subscribed", "api")}
    prefix = key_prefix()
    created = api_audit(action="subject.created").get()
    assert (created.actor_id, created.target_type, created.target_id) == (
        prefix, "preferences.subject", str(carol.public_id))
    assert created.details == {"source": "api"}
    changes = api_audit(action="consent.changed", actor_id=prefix, target_id=str(carol.public_id))
    assert sorted(e.details["topic"] for e in changes) == ["newsletter", "offers"]
    for event in api_audit():
        assert "@" not in json.dumps(event.details)  # audit rows outlive erasure: no address


def test_it_updates_the_subject_found_by_email(api, alice, offers):
    response = post(api("subjects:write"), {"email": " ALICE@example.com ", "locale": "de",
                                            "subscriptions": {"offers": False}})
    assert response.json() == {"id": str(alice.public_id)}
    alice.refresh_from_db()
    assert (alice.locale, alice.country, alice.external_id) == ("de", "GB", "alice-1")
    assert statuses(alice)["offers"] == "unsubscribed"
    event = ConsentEvent.objects.get(subject=alice, source="api")
    assert (event.topic, event.old_status, event.new_status) == (offers, "subscribed",
                                                                 "unsubscribed")
    assert api_audit(action="subject.updated", target_id=str(alice.public_id)).count() == 1
    assert Subject.objects.count() == 1


def test_it_updates_the_subject_found_by_external_id(api, alice):
    response = post(api("subjects:write"), {"external_id": "alice-1", "country": "ie"})
    assert response.json() == {"id": str(alice.public_id)}
    alice.refresh_from_db()
    assert (alice.country, alice.email) == ("IE", "alice@example.com")


def test_it_changes_the_email_of_the_subject_found_by_external_id(api, alice):
    response = post(api("subjects:write", "subjects:read"),
                    {"external_id": "alice-1", "email": "alice@new.example"})
    assert response.json() == {"id": str(alice.public_id)}
    alice.refresh_from_db()
    assert alice.email == "alice@new.example"
    assert alice.email_digest == email_digest("alice@new.example")


def test_it_links_an_external_id_to_the_subject_found_by_email(api, alice):
    response = post(api("subjects:write", "subjects:read"),
                    {"email": "alice@example.com", "external_id": "crm-77"})
    assert response.json() == {"id": str(alice.public_id)}
    alice.refresh_from_db()
    assert alice.external_id == "crm-77"


def test_it_creates_a_subject_known_only_by_external_id(api, newsletter):
    response = post(api("subjects:write"), {"external_id": "app-user-9"})
    assert response.status_code == 200
    subject = Subject.objects.get(public_id=response.json()["id"])
    assert (subject.email, subject.email_digest) == (None, None)
    assert statuses(subject) == {"newsletter": "subscribed"}


def test_posting_the_same_subject_twice_records_one_change(api, alice, offers):
    client = api("subjects:write")
    body = {"email": "alice@example.com", "subscriptions": {"offers": False}}
    first, second = post(client, body), post(client, body)
    assert first.json() == second.json() == {"id": str(alice.public_id)}
    assert ConsentEvent.objects.filter(subject=alice, source="api").count() == 1


def test_it_answers_409_when_email_and_external_id_name_different_subjects(api, alice, bob):
    before = state()
    response = post(api("subjects:write", "subjects:read"),
                    {"email": "alice@example.com", "external_id": "bob-2",
                     "subscriptions": {"offers": False}})
    error = error_of(response, 409, "conflict")
    assert "alice" not in json.dumps(error) and "bob" not in json.dumps(error)
    assert state() == before


def test_it_refuses_an_unknown_topic_and_creates_nothing(api, newsletter):
    before = state()
    response = post(api("subjects:write"), {"email": "carol@example.net",
                                            "subscriptions": {"newsletter": True, "nope": True}})
    error = error_of(response, 404, "not_found")  # well formed; names no topic
    assert error["message"] == "subscriptions: unknown topic: nope"
    assert state() == before


@pytest.mark.parametrize("slug,status", [("not a slug", 404), ("a\x00b", 404), ("x" * 65, 404),
                                         ("", 404)])
def test_it_refuses_a_subscription_key_that_is_not_a_slug(api, newsletter, slug, status):
    """A key that cannot be a topic names none, NUL included (and no query sees it)."""
    before = state()
    response = post(api("subjects:write"), {"email": "carol@example.net",
                                            "subscriptions": {slug: True}})
    assert response.status_code == status, response.content
    assert state() == before


def test_it_refuses_unknown_fields(api, newsletter):
    before = state()
    response = post(api("subjects:write"), {"email": "carol@example.net", "name": "Carol",
                                            "phone": "123"})
    error = error_of(response, 400, "invalid")
    assert error["fields"] == {"name": ["unknown field"], "phone": ["unknown field"]}
    assert state() == before


def test_it_needs_an_email_or_an_external_id(api, newsletter):
    response = post(api("subjects:write"), {"locale": "en"})
    error = error_of(response, 400, "invalid")
    assert error["fields"] == {"non_field_errors": ["give an email or an external_id"]}
    assert not Subject.objects.exists()


@pytest.mark.parametrize("body,field", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b.c" + "c" * 320}, "email"),
    ({"email": None}, "email"),
    ({"external_id": ""}, "external_id"),
    ({"external_id": "x" * 256}, "external_id"),
    ({"external_id": "a\x00b"}, "external_id"),
    ({"external_id": "e-1", "country": "GBR"}, "country"),
    ({"external_id": "e-1", "locale": "english please"}, "locale"),
    ({"external_id": "e-1", "subscriptions": {"newsletter": "maybe"}}, "subscriptions"),
    ({"external_id": "e-1", "subscriptions": ["newsletter"]}, "subscriptions"),
])
def test_it_refuses_malformed_fields(api, newsletter, body, field):
    response = post(api("subjects:write"), body)
    assert list(error_of(response, 400, "invalid")["fields"]) == [field]
    assert not Subject.objects.exists()


def test_it_refuses_an_address_that_is_invalid_once_normalised(api, newsletter):
    # Valid as sent, but NFKC turns each ligature into three letters: the domain label
    # grows past 63 characters. This crashed with a 500 before.
    email = "carol@" + "\ufb03" * 30 + ".com"
    response = post(api("subjects:write"), {"email": email})
    assert list(error_of(response, 400, "invalid")["fields"]) == ["email"]
    assert not Subject.objects.exists()


@pytest.mark.parametrize("body", ["[1, 2]", '"carol@example.net"', "null", "42"])
def test_it_refuses_a_body_that_is_not_an_object(api, newsletter, body):
    response = api("subjects:write").post(URL, body, content_type="application/json")
    assert "non_field_errors" in error_of(response, 400, "invalid")["fields"]


@pytest.mark.parametrize("body", ['{"email": ', "[" * 100_000 + "]" * 100_000])
def test_it_refuses_a_body_that_is_not_json(api, newsletter, body):
    response = api("subjects:write").post(URL, body, content_type="application/json")
    error_of(response, 400, "parse_error")


def test_it_refuses_a_form_body(api, newsletter):
    response = api("subjects:write").post(URL, {"email": "carol@example.net"})  # multipart
    error_of(response, 415, "unsupported_media_type")
    assert not Subject.objects.exists()


def test_it_requires_an_api_key(api, newsletter):
    response = post(api(), {"email": "carol@example.net"})
    error_of(response, 401, "not_authenticated")
    assert not Subject.objects.exists()


@pytest.mark.parametrize("scopes", [("subjects:read",), ("consent:check",),
                                    ("subjects:read", "consent:check")])
def test_it_requires_the_subjects_write_scope(api, alice, scopes):
    before = state()
    response = post(api(*scopes), {"email": "alice@example.com", "locale": "de"})
    assert "subjects:write" in error_of(response, 403, "permission_denied")["message"]
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_upserts_of_a_new_address_both_answer_200(postgres, make_key, newsletter):
    import threading

    from rest_framework.test import APIClient

    key = make_key("subjects:write")
    answers = []

    def upsert(email, barrier):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        try:
            answers.append(post(client, {"email": email}).status_code)
        finally:
            postgres.close()

    for i in range(10):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=upsert, args=(f"race{i}@example.com", barrier))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [200] * 20
    assert Subject.objects.count() == 10
