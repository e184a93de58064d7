"""GET/PATCH /api/v1/subjects/<id>/purposes and the purpose form of
POST /api/v1/consent/check."""

import pytest

from preferences.models import ConsentEvent, PurposeConsent
from tests.common.api import error_of


def url(subject):
    return f"/api/v1/subjects/{subject.public_id}/purposes"


def test_it_reads_a_subjects_purposes_with_defaults(api, carol, purposes):
    body = api("subjects:read").get(url(carol)).json()
    rows = {row["slug"]: row for row in body["purposes"]}
    assert body["id"] == str(carol.public_id)
    assert rows["partner_sharing"]["granted"] is True
    assert rows["partner_sharing"]["source"] == "default"
    assert rows["analytics"] == {"slug": "analytics", "name": "Analytics",
                                 "legal_basis": "consent", "is_sale_or_sharing": False,
                                 "granted": False, "source": "default", "version": None,
                                 "current_version": 1}


def test_it_changes_purposes_all_or_none(api, alice, purposes):
    client = api("subjects:read", "subjects:write")
    response = client.patch(url(alice), {"purposes": {"analytics": True,
                                                      "personalisation": True}},
                            format="json")
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == ["analytics"]  # personalisation was on already
    event = ConsentEvent.objects.get(kind="purpose")
    assert (event.source, event.purpose_version) == ("api", 1)
    bad = client.patch(url(alice), {"purposes": {"profiling": True, "nope": True}},
                       format="json")
    assert "unknown purpose: 'nope'" in error_of(bad, 404, "not_found")["message"]
    assert not PurposeConsent.objects.filter(purpose=purposes["profiling"]).exists()


def test_a_write_only_key_does_not_learn_the_state(api, alice, purposes):
    body = api("subjects:write").patch(url(alice), {"purposes": {"analytics": True}},
                                       format="json").json()
    assert body == {"id": str(alice.public_id)}


@pytest.mark.parametrize("method,scope", [("get", "subjects:write"),
                                          ("patch", "subjects:read")])
def test_it_needs_the_scope_of_the_method(api, alice, purposes, method, scope):
    response = getattr(api(scope), method)(url(alice), {"purposes": {"analytics": True}},
                                           format="json")
    error_of(response, 403, "permission_denied")
    assert not ConsentEvent.objects.filter(kind="purpose").exists()


@pytest.mark.parametrize("body", [{}, {"purposes": {}}, {"purposes": {"analytics": "maybe"}},
                                  {"purposes": {"analytics": True}, "extra": 1}])
def test_it_refuses_a_bad_body(api, alice, purposes, body):
    error_of(api("subjects:write").patch(url(alice), body, format="json"), 400, "invalid")


def check(client, body):
    return client.post("/api/v1/consent/check", body, format="json")


def test_consent_check_answers_for_a_purpose(api, alice, carol, purposes):
    client = api("consent:check")
    recipients = ["alice@example.com", str(carol.public_id), "nobody@example.com"]
    body = check(client, {"purpose": "partner_sharing", "recipients": recipients}).json()
    assert body == {"purpose": "partner_sharing", "allowed": [str(carol.public_id)]}
    body = check(client, {"purpose": "personalisation", "recipients": recipients}).json()
    assert body["allowed"] == recipients[:2]


def test_consent_check_takes_a_topic_or_a_purpose(api, alice, purposes):
    client = api("consent:check")
    for body in ({"topic": "offers", "purpose": "analytics", "recipients": []},
                 {"recipients": ["alice@example.com"]}):
        error_of(check(client, body), 400, "invalid")
    error_of(check(client, {"purpose": "nope", "recipients": []}), 404, "not_found")
    topic = check(client, {"topic": "offers", "recipients": ["alice@example.com"]}).json()
    assert topic == {"topic": "offers", "allowed": ["alice@example.com"]}
