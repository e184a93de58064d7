"""The attack: a key without subjects:read asks about addresses and ids and compares the
answers. Known and unknown subjects must answer alike, in status and body, through every
scope (events, scrub, erasure, export); only a key holding subjects:read is told why."""

import json
import re
import uuid

import pytest

import audit
from preferences import services
from preferences.models import DataExport
from preferences.privacy import services as privacy_services
from tests.anonymizer.test_api_erasures import run

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
WHEN = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)")


def answer(response) -> str:
    """What the client sees, with ids and times (which always differ) replaced."""
    return UUID.sub("<id>", WHEN.sub("<when>", f"{response.status_code} "
                                               f"{response.content.decode()}"))


def event(ref, purpose="analytics"):
    return {"subject": ref, "purpose": purpose, "page": "/pricing"}


@pytest.fixture
def people(alice, bob, purposes, newsletter):
    """Known subjects in every state an answer could give away, and an unknown one."""
    for granted in (True, False):  # opted in, then out
        privacy_services.purpose_set(subject=alice, purpose=purposes["analytics"],
                                     granted=granted, source="api", actor=audit.SYSTEM)
    services.subject_upsert(actor=audit.SYSTEM, source="signup", email="eve@example.com",
                            subscriptions={"newsletter": True}, double_opt_in=True)  # pending
    return {"opted out": "alice@example.com", "never asked": "bob@example.org",
            "pending": "eve@example.com", "unknown": "stranger@example.net"}


@pytest.mark.parametrize("scope,url", [("events:ingest", "/api/v1/events"),
                                       ("scrub", "/api/v1/scrub")])
def test_events_and_scrub_answer_a_known_address_as_an_unknown_one(api, people, scope, url):
    client = api(scope)
    answers = {state: answer(client.post(url, {"events": [event({"email": address})]},
                                          format="json"))
               for state, address in people.items()}
    assert len(set(answers.values())) == 1, answers
    assert '"reason":"not_allowed"' in answers["unknown"]
    # a thousand addresses a request tell no more than one
    batch = client.post(url, {"events": [event({"email": a}) for a in people.values()]},
                        format="json").json()
    assert {d["reason"] for d in batch["decisions"]} == {"not_allowed"}


def test_a_key_that_may_read_subjects_is_still_told_why(api, people):
    body = api("events:ingest", "subjects:read").post(
        "/api/v1/events", {"events": [event({"email": a}) for a in people.values()]},
        format="json").json()
    assert [d["reason"] for d in body["decisions"]] == [
        "opted_out", "not_opted_in", "pending_confirmation", "unknown_subject"]


def test_events_by_external_id_and_id_tell_nothing_either(api, people, alice):
    client = api("events:ingest")
    known = [event({"external_id": "alice-1"}), event({"id": str(alice.public_id)})]
    unknown = [event({"external_id": "nobody-9"}), event({"id": str(uuid.uuid4())})]
    answers = [answer(client.post("/api/v1/events", {"events": batch}, format="json"))
               for batch in (known, unknown)]
    assert answers[0] == answers[1]


def _erasure_by_id(client, subject_id, capture) -> str:
    first = client.post("/api/v1/erasures", {"subject": subject_id}, format="json")
    again = client.post("/api/v1/erasures", {"subject": subject_id}, format="json")
    assert first.status_code == 202, first.content
    run(first.json()["id"], capture)
    status = client.get(first.json()["status_url"])
    return json.dumps([answer(r) for r in (first, again, status)])


def test_erasure_by_id_answers_an_unknown_id_as_a_known_one(
        api, alice, django_capture_on_commit_callbacks):
    client = api("erasure")
    known = _erasure_by_id(client, str(alice.public_id), django_capture_on_commit_callbacks)
    unknown = _erasure_by_id(client, str(uuid.uuid4()), django_capture_on_commit_callbacks)
    assert known == unknown
    assert '\\"status\\":\\"done\\"' in known


def test_export_answers_a_known_id_as_an_unknown_one_or_one_without_an_address(
        api, alice, mailoutbox, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    nameless, _ = services.subject_upsert(actor=audit.SYSTEM, source="api",
                                          external_id="no-address-7")
    client = api("erasure")
    with django_capture_on_commit_callbacks(execute=True):
        answers = {who: answer(client.post(f"/api/v1/subjects/{subject_id}/export"))
                   for who, subject_id in [("known", alice.public_id),
                                           ("known again", alice.public_id),
                                           ("no address", nameless.public_id),
                                           ("unknown", uuid.uuid4())]}
    assert len(set(answers.values())) == 1, answers
    assert answers["unknown"].startswith("202 ")
    # the known subject's request went on all the same, once
    assert DataExport.objects.filter(subject=alice).count() == 1
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert not DataExport.objects.filter(subject=nameless).exists()


def test_export_tells_a_key_that_may_read_subjects(api, alice):
    client = api("erasure", "subjects:read")
    assert client.post(f"/api/v1/subjects/{uuid.uuid4()}/export").status_code == 404
    nameless, _ = services.subject_upsert(actor=audit.SYSTEM, source="api",
                                          external_id="no-address-7")
    assert client.post(f"/api/v1/subjects/{nameless.public_id}/export").status_code == 400
