"""No operation tells a key without subjects:read whether an address is known.

A key that may only write (or only check consent) sees the same answers for an
address Hush knows as for one it has never seen: same statuses, same bodies (the
subject ids aside), same errors.
"""

import json

import pytest

import audit
from preferences import services
from preferences.models import Subject, Suppression
from tests.common.api import error_of


def transcript(client, email, probe):
    """Everything a write-only key can do with an address, as (status, body) pairs,
    with the subject ids it was given replaced by placeholders."""
    calls = []
    ids = {}

    def record(response):
        calls.append((response.status_code, response.content.decode()))
        return response

    def post(path, body=None):
        return record(client.post(path, body, format="json"))

    ids["<probe>"] = post("/api/v1/subjects", {"external_id": probe}).json()["id"]
    ids["<subject>"] = post("/api/v1/subjects", {"email": email}).json()["id"]
    subject = ids["<subject>"]
    post("/api/v1/subjects", {"email": email.upper()})
    post("/api/v1/subjects", {"email": email, "locale": "de",
                              "subscriptions": {"offers": True, "newsletter": False}})
    # were both to be linked, a 409 would tell that the address belongs to someone else
    post("/api/v1/subjects", {"email": email, "external_id": probe})
    post("/api/v1/subjects", {"email": email, "subscriptions": {"nope": True}})
    for change in ({"topic": "offers", "status": "subscribed"},
                   {"topic": "newsletter", "status": "unsubscribed"},
                   {"topic": "offers", "status": "paused", "paused_until": "2099-01-01T00:00Z"},
                   {"topic": "nope", "status": "subscribed"}):
        record(client.patch(f"/api/v1/subjects/{subject}/subscriptions",
                            {"changes": [change]}, format="json"))
    post(f"/api/v1/subjects/{subject}/unsubscribe-all")
    post(f"/api/v1/subjects/{subject}/unsubscribe-all")
    record(client.get(f"/api/v1/subjects/{subject}"))
    record(client.get(f"/api/v1/subjects/{subject}/links", {"topic": "offers"}))
    for name, value in ids.items():
        calls = [(status, text.replace(value, name)) for status, text in calls]
    return calls


def test_a_write_only_key_cannot_tell_a_known_address(api, alice, bob):
    # alice has opted out of everything and has topic choices; the stranger has none
    services.subject_unsubscribe_all(subject=alice, source="import", actor=audit.SYSTEM)
    known = transcript(api("subjects:write"), "alice@example.com", "probe-1")
    unknown = transcript(api("subjects:write"), "stranger@example.com", "probe-2")
    assert known == unknown
    statuses = [status for status, _ in known]
    assert statuses == [200, 200, 200, 200, 403, 404, 200, 200, 200, 404, 200, 200, 403, 403]


def test_it_links_nothing_for_a_write_only_key(api, alice):
    client = api("subjects:write")
    client.post("/api/v1/subjects", {"external_id": "probe-1"}, format="json")
    response = client.post("/api/v1/subjects", {"email": "alice@example.com",
                                                "external_id": "probe-1"}, format="json")
    assert "subjects:read" in error_of(response, 403, "permission_denied")["message"]
    assert Subject.objects.get(external_id="probe-1").email is None
    alice.refresh_from_db()
    assert alice.external_id == "alice-1"


def test_a_key_that_can_read_is_told_about_the_conflict(api, alice):
    client = api("subjects:write", "subjects:read")
    client.post("/api/v1/subjects", {"external_id": "probe-1"}, format="json")
    response = client.post("/api/v1/subjects", {"email": "alice@example.com",
                                                "external_id": "probe-1"}, format="json")
    error_of(response, 409, "conflict")


@pytest.fixture
def known_but_not_sendable(alice, bob, offers):
    """Four known addresses that may not be sent offers, each for another reason."""
    services.subject_upsert(actor=audit.SYSTEM, source="import", email="carol@example.net")
    dave, _ = services.subject_upsert(actor=audit.SYSTEM, source="import",
                                      email="dave@example.net",
                                      subscriptions={"offers": True})
    services.subscription_pause(subject=dave, topic=offers, weeks=1, source="import",
                                actor=audit.SYSTEM)
    services.subject_unsubscribe_all(subject=alice, source="import", actor=audit.SYSTEM)
    Suppression.objects.create(email_digest=bob.email_digest, reason="bounce")
    return ["alice@example.com", "bob@example.org", "carol@example.net", "dave@example.net"]


def test_a_consent_check_answers_the_same_for_unknown_and_refused(api, known_but_not_sendable):
    client = api("consent:check")

    def check(recipient):
        response = client.post("/api/v1/consent/check", {"topic": "offers",
                                                          "recipients": [recipient]},
                               format="json")
        return response.status_code, response.content

    unknown = check("stranger@example.com")
    assert unknown == (200, json.dumps({"topic": "offers", "allowed": []},
                                       separators=(",", ":")).encode())
    for recipient in known_but_not_sendable:
        assert check(recipient) == unknown, recipient


@pytest.mark.parametrize("scopes", [(), ("subjects:write",), ("consent:check",),
                                    ("subjects:write", "consent:check")])
def test_reading_answers_the_same_for_a_known_and_an_unknown_id(api, alice, scopes):
    client = api(*scopes)
    for suffix, query in (("", {}), ("/links", {"topic": "offers"})):
        known = client.get(f"/api/v1/subjects/{alice.public_id}{suffix}", query)
        unknown = client.get(f"/api/v1/subjects/00000000-0000-4000-8000-000000000000{suffix}",
                             query)
        assert known.status_code == unknown.status_code in (401, 403)
        assert known.content == unknown.content
