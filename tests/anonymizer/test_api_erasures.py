"""POST /api/v1/erasures and GET /api/v1/erasures/<id>: every status and scope, and
no way for a key without subjects:read to tell whether an address is known."""

import json
import re
import uuid

import pytest

from anonymizer import erasure
from anonymizer.models import ErasureRequest
from audit.models import AuditEvent
from common.crypto import email_digest
from preferences.models import Subject, Suppression
from tests.common.api import error_of, key_prefix, state

URL = "/api/v1/erasures"


def post(client, body):
    return client.post(URL, body, format="json")


def run(request_key, capture):
    """Carry the request out in-process, as the worker would."""
    request = ErasureRequest.objects.get(key=request_key)
    with capture(execute=True):
        erasure.erasure_run(request_id=request.pk)
    for _ in range(10):
        with capture(execute=True):
            erasure.erasure_sweep()
    request.refresh_from_db()
    return request


# --- asking -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["subject", "email", "external_id"])
def test_it_accepts_a_request_by_id_email_or_external_id(api, alice, how,
                                                         django_capture_on_commit_callbacks):
    value = {"subject": str(alice.public_id), "email": "Alice@Example.com",
             "external_id": "alice-1"}[how]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post(api("erasure"), {how: value})
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status_url"}
    request = ErasureRequest.objects.get(key=body["id"])
    assert body["status_url"] == f"http://testserver/api/v1/erasures/{request.key}"
    assert request.subject_public_id == alice.public_id
    assert (request.source, request.status) == ("api", "pending")
    assert (request.requested_by_type, request.requested_by_id) == ("api_key", key_prefix())
    assert len(queued) == 1  # the run is queued once the request is committed
    event = AuditEvent.objects.get(action="erasure.requested")
    assert (event.actor_type, event.actor_id) == ("api_key", key_prefix())
    assert "alice@" not in json.dumps(event.details)


def test_asking_again_answers_the_same_open_request(api, alice):
    client = api("erasure")
    first = post(client, {"email": "alice@example.com"}).json()
    assert post(client, {"subject": str(alice.public_id)}).json() == first
    assert ErasureRequest.objects.count() == 1


@pytest.mark.parametrize("body, field", [
    ({}, "non_field_errors"),
    ({"email": "alice@example.com", "external_id": "alice-1"}, "non_field_errors"),
    ({"email": "not-an-address"}, "email"),
    ({"subject": "not-a-uuid"}, "subject"),
    ({"external_id": ""}, "external_id"),
    ({"external_id": "x" * 256}, "external_id"),
    ({"email": "alice@example.com", "reason": "gdpr"}, "reason"),
])
def test_bad_input_is_a_400_and_changes_nothing(api, alice, body, field):
    before = state(), ErasureRequest.objects.count()
    error = error_of(post(api("erasure"), body), 400, "invalid")
    assert field in error["fields"]
    assert (state(), ErasureRequest.objects.count()) == before


def test_a_body_that_is_not_an_object_is_a_400(api, alice):
    error_of(api("erasure").post(URL, "[1]", content_type="application/json"), 400, "invalid")
    error_of(api("erasure").post(URL, "{", content_type="application/json"), 400,
             "parse_error")


def test_an_unknown_subject_id_is_a_404_for_a_key_that_may_read_subjects(api, alice):
    error_of(post(api("erasure", "subjects:read"), {"subject": str(uuid.uuid4())}), 404,
             "not_found")
    assert not ErasureRequest.objects.exists()


# --- keys and scopes ----------------------------------------------------------------------

def test_without_a_key_it_is_a_401(api, alice):
    error_of(post(api(), {"email": "alice@example.com"}), 401, "not_authenticated")
    error_of(api().get(f"{URL}/{uuid.uuid4()}"), 401, "not_authenticated")
    assert not ErasureRequest.objects.exists()


@pytest.mark.parametrize("scopes", [("subjects:write",), ("subjects:read", "subjects:write",
                                                          "consent:check", "deliveries:manage",
                                                          "scrub")])
def test_without_the_erasure_scope_it_is_a_403(api, alice, scopes):
    client = api(*scopes)
    error_of(post(client, {"email": "alice@example.com"}), 403, "permission_denied")
    request = erasure.erasure_request_for(actor=("system", ""), source="staff",
                                          public_id=alice.public_id)
    error_of(client.get(f"{URL}/{request.key}"), 403, "permission_denied")
    assert ErasureRequest.objects.count() == 1


# --- following it ---------------------------------------------------------------------------

def test_the_status_shows_progress_steps_and_the_report(api, alice, bob,
                                                       django_capture_on_commit_callbacks):
    client = api("erasure", "subjects:read")
    created = post(client, {"email": "alice@example.com"}).json()
    pending = client.get(created["status_url"]).json()
    assert pending["status"] == "pending"
    assert pending["progress"] == {"done": 0, "total": 0, "failed": 0}
    assert pending["steps"] == [] and pending["verification"] is None

    run(created["id"], django_capture_on_commit_callbacks)
    done = client.get(created["status_url"])
    assert done.status_code == 200
    report = done.json()
    assert report["id"] == created["id"] and report["subject"] == str(alice.public_id)
    assert report["status"] == "done" and report["source"] == "api"
    assert report["progress"]["done"] == report["progress"]["total"] == len(report["steps"]) > 0
    by_target = {s["target"]: s for s in report["steps"]}
    assert by_target["preferences.subject"]["fields"][:3] == ["email", "email_digest",
                                                              "external_id"]
    assert by_target["preferences.subscription"]["rows"] == 2
    assert report["verification"]["clean"] is True and report["verification"]["found"] == []
    for value in ("alice@example.com", "alice-1", email_digest("alice@example.com")):
        assert value not in done.content.decode()
    assert Subject.objects.get(pk=bob.pk).email == "bob@example.org"


def test_an_unknown_status_id_is_a_404(api):
    client = api("erasure")
    error_of(client.get(f"{URL}/{uuid.uuid4()}"), 404, "not_found")
    error_of(client.get(f"{URL}/12"), 404, "not_found")


# --- privacy: a key without subjects:read learns nothing about the address -------------------

def _transcript(client, email, capture):
    """Everything an erasure-only key sees for an address, ids replaced."""
    first = post(client, {"email": email})
    again = post(client, {"email": email.upper()})
    run(first.json()["id"], capture)
    status = client.get(first.json()["status_url"])
    calls = [(r.status_code, r.content.decode()) for r in (first, again, status)]
    text = json.dumps(calls)
    text = text.replace(first.json()["id"], "<id>")
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)", "<when>", text)
    return text


def test_an_erasure_only_key_cannot_tell_a_known_address(api, alice, bob,
                                                        django_capture_on_commit_callbacks):
    # alice already asked through the preference center: that must not show either
    from anonymizer.erasure import erasure_open

    erasure_open(public_id=alice.public_id, source="preference_center", actor=alice)
    known = _transcript(api("erasure"), "alice@example.com", django_capture_on_commit_callbacks)
    unknown = _transcript(api("erasure"), "stranger@example.net",
                          django_capture_on_commit_callbacks)
    assert known == unknown
    assert '"status":"done"' in known.replace('\\"', '"')
    # and the unknown address is suppressed all the same
    assert Suppression.objects.filter(email_digest=email_digest("stranger@example.net"),
                                      reason="erased").exists()
