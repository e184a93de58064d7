"""POST /api/v1/scrub: events come back with personal data transformed, nothing kept."""

import pytest

from audit.models import AuditEvent

URL = "/api/v1/scrub"

EVENT = {
    "type": "checkout",
    "user": {"email": "alice@example.com", "name": "Alice Liddell", "ip": "203.0.113.77"},
    "note": "call me on +44 20 7946 0958",
    "items": [{"sku": "A-100", "price": 12.5}],
    "at": "2026-11-30T10:00:00Z",
}


def test_it_scrubs_by_key_and_value_and_keeps_the_structure(api, db):
    response = api("scrub").post(URL, {"events": [EVENT, "mail bob@example.org"]},
                                 format="json")
    assert response.status_code == 200
    event, line = response.json()["events"]
    assert event["type"] == "checkout" and event["items"] == EVENT["items"]
    assert event["at"] == EVENT["at"]
    assert "alice" not in str(event).lower() and "7946" not in str(event)
    assert "203.0.113.77" not in str(event)
    assert line == "mail [EMAIL]"


def test_a_policy_chooses_the_transform_per_kind(api, db):
    response = api("scrub").post(URL, {"events": ["alice@example.com from 203.0.113.77"],
                                       "policy": {"EMAIL": "mask",
                                                  "IP_ADDRESS": "generalize"}},
                                 format="json")
    assert response.json()["events"] == ["a***@example.com from 203.0.113.0/24"]


def test_pseudonyms_are_stable_across_requests(api, db):
    body = {"events": ["alice@example.com"], "policy": {"EMAIL": "pseudonymise"}}
    client = api("scrub")
    first = client.post(URL, body, format="json").json()["events"][0]
    assert first == client.post(URL, body, format="json").json()["events"][0]
    assert "alice" not in first


def test_nothing_is_stored_or_audited(api, db):
    before = AuditEvent.objects.count()
    api("scrub").post(URL, {"events": [EVENT]}, format="json")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("body", "field"), [
    ({}, "events"),
    ({"events": []}, "events"),
    ({"events": ["x"] * 1001}, "events"),
    ({"events": ["x"], "policy": {"EMAIL": "shred"}}, "policy"),
    ({"events": ["x"], "policy": {"EMAIL": "tokenize"}}, "policy"),
    ({"events": ["x"], "policy": {"SHOE_SIZE": "redact"}}, "policy"),
    ({"events": ["x"], "store": True}, "store"),
])
def test_bad_input_is_a_400_naming_the_field(api, db, body, field):
    response = api("scrub").post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_it_needs_a_key_with_the_scrub_scope(api, db):
    assert api().post(URL, {"events": ["x"]}, format="json").status_code == 401
    response = api("subjects:read", "subjects:write").post(URL, {"events": ["x"]},
                                                            format="json")
    assert response.status_code == 403
