"""Capture opt-out in flight: POST /api/v1/events and the consent step of
POST /api/v1/scrub decide each event by the subject's choice for its purpose."""

import pytest

import audit
from preferences import services
from preferences.models import CaptureCount, CaptureRule
from preferences.privacy import services as privacy_services
from tests.common.api import error_of

EVENTS, SCRUB = "/api/v1/events", "/api/v1/scrub"


def event(subject_ref, purpose="analytics", **extra):
    return {"subject": subject_ref, "purpose": purpose, "page": "/pricing",
            "note": "mail alice@example.com", **extra}


def post(client, url, events, **headers):
    response = client.post(url, {"events": events}, format="json", headers=headers)
    assert response.status_code == 200, response.content
    return response.json()


def outcomes(body):
    return [(d["outcome"], d["reason"]) for d in body["decisions"]]


def turn(subject, purpose, granted):
    privacy_services.purpose_set(subject=subject, purpose=purpose, granted=granted, source="api",
                         actor=audit.SYSTEM)


@pytest.fixture
def ingest(api):
    """A key that may also read subjects, so it is told why (tests/common/test_enumeration.py
    has the keys that may not)."""
    return api("events:ingest", "subjects:read")


def test_it_keeps_an_opted_in_subjects_event_scrubbed(ingest, alice, purposes):
    turn(alice, purposes["analytics"], True)
    body = post(ingest, EVENTS, [event({"email": "alice@example.com"})])
    assert outcomes(body) == [("kept", "opted_in")]
    kept = body["events"][0]
    assert kept["page"] == "/pricing" and "alice@example.com" not in str(kept)


def test_it_drops_an_opted_out_or_never_asked_subjects_event(ingest, alice, bob, purposes):
    turn(alice, purposes["analytics"], True)
    turn(alice, purposes["analytics"], False)
    body = post(ingest, EVENTS, [event({"id": str(alice.public_id)}),
                                 event({"external_id": "bob-2"})])
    assert outcomes(body) == [("dropped", "opted_out"), ("dropped", "not_opted_in")]
    assert body["events"] == [None, None]


def test_it_drops_an_unknown_subjects_event(ingest, purposes):
    body = post(ingest, EVENTS, [event({"email": "stranger@example.com"})])
    assert outcomes(body) == [("dropped", "unknown_subject")]


def test_it_follows_the_jurisdiction_default(ingest, carol, alice, purposes):
    body = post(ingest, EVENTS, [event({"email": "carol@example.net"}, "partner_sharing"),
                                 event({"email": "alice@example.com"}, "partner_sharing")])
    assert outcomes(body) == [("kept", "default_on"), ("dropped", "not_opted_in")]


def test_an_unknown_purpose_is_a_clear_400_and_counts_nothing(ingest, alice, purposes):
    response = ingest.post(EVENTS, {"events": [event({"id": str(alice.public_id)}),
                                               event({"id": str(alice.public_id)}, "nope")]},
                           format="json")
    assert "unknown purpose 'nope'" in error_of(response, 404, "not_found")["message"]
    assert not CaptureCount.objects.exists()


@pytest.mark.parametrize("bad", [
    {"purpose": "analytics"},                                   # no subject
    {"subject": "alice@example.com", "purpose": "analytics"},   # not an object
    {"subject": {"email": "a@example.com", "id": "x"}, "purpose": "analytics"},
    {"subject": {"phone": "+4412345"}, "purpose": "analytics"},
    {"subject": {"email": "alice@example.com"}},                # no purpose or type
])
def test_it_refuses_an_event_it_cannot_decide(ingest, alice, purposes, bad):
    error_of(ingest.post(EVENTS, {"events": [bad]}, format="json"), 400, "invalid")


def test_an_event_type_no_rule_maps_names_no_purpose(ingest, alice, purposes):
    error_of(ingest.post(EVENTS, {"events": [{"subject": {"email": "alice@example.com"},
                                              "type": "unmapped"}]}, format="json"),
             404, "not_found")


def test_ingest_needs_its_scope(api, alice, purposes):
    response = api("scrub").post(EVENTS, {"events": [event({"email": "alice@example.com"})]},
                                 format="json")
    error_of(response, 403, "permission_denied")


def test_it_maps_an_event_type_to_a_purpose_by_rule(ingest, alice, purposes):
    CaptureRule.objects.create(name="page views", event_type="page_view",
                               purpose=purposes["analytics"])
    turn(alice, purposes["analytics"], True)
    body = post(ingest, EVENTS, [{"subject": {"email": "alice@example.com"},
                                  "type": "page_view"}])
    assert body["decisions"] == [{"outcome": "kept", "reason": "opted_in",
                                  "purpose": "analytics"}]


def test_it_reduces_instead_of_dropping_when_a_rule_says_so(ingest, alice, purposes):
    CaptureRule.objects.create(name="aggregate page views", event_type="page_view",
                               purpose=purposes["analytics"], action="reduce",
                               keep_fields="page")
    body = post(ingest, EVENTS, [{"subject": {"email": "alice@example.com"},
                                  "type": "page_view", "page": "/pricing",
                                  "occurred_at": "2026-11-30T02:41:07Z", "ip": "203.0.113.9"}])
    assert outcomes(body) == [("reduced", "not_opted_in")]
    assert body["events"] == [{"purpose": "analytics", "type": "page_view",
                               "hour": "2026-11-30T02", "page": "/pricing"}]


def test_rules_by_environment_and_subject(ingest, alice, bob, purposes):
    CaptureRule.objects.create(name="staging is test data", environment="staging",
                               action="keep")
    CaptureRule.objects.create(name="bob is a test account", subject=bob, action="drop")
    body = post(ingest, EVENTS, [event({"email": "alice@example.com"}),
                                 event({"email": "alice@example.com"}, environment="prod"),
                                 event({"email": "bob@example.org"})],
                **{"X-Hush-Environment": "staging"})
    assert outcomes(body) == [("kept", "rule_keep"), ("dropped", "not_opted_in"),
                              ("dropped", "rule_drop")]


def test_it_keeps_only_a_counter_per_purpose_and_reason(ingest, alice, bob, purposes):
    post(ingest, EVENTS, [event({"email": "alice@example.com"}),
                          event({"email": "bob@example.org"}),
                          event({"email": "stranger@example.com"})])
    post(ingest, EVENTS, [event({"email": "alice@example.com"})])
    counts = set(CaptureCount.objects.values_list("purpose", "outcome", "reason", "count"))
    assert counts == {("analytics", "dropped", "not_opted_in", 3),
                      ("analytics", "dropped", "unknown_subject", 1)}


def test_scrub_decides_events_that_name_a_subject_and_leaves_others_as_before(api, alice,
                                                                              purposes):
    client = api("scrub", "subjects:read")
    plain = post(client, SCRUB, ["mail bob@example.org"])
    assert set(plain) == {"events"}
    body = post(client, SCRUB, [event({"email": "alice@example.com"}), "mail bob@example.org"])
    assert body["events"] == [None, "mail [EMAIL]"]
    assert outcomes(body) == [("dropped", "not_opted_in"), ("kept", "no_subject")]
    error_of(client.post(SCRUB, {"events": [event({"email": "a@example.com"}, "nope")]},
                         format="json"), 404, "not_found")


def test_the_very_next_event_after_a_change_is_decided_by_the_new_state(
        ingest, alice, purposes, django_capture_on_commit_callbacks):
    ref = {"email": "alice@example.com"}
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("dropped", "not_opted_in")]
    with django_capture_on_commit_callbacks(execute=True):
        turn(alice, purposes["analytics"], True)
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("kept", "opted_in")]
    with django_capture_on_commit_callbacks(execute=True):
        turn(alice, purposes["analytics"], False)
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("dropped", "opted_out")]


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_is_enforced_across_requests(api, newsletter, offers):
    """With real commits: the cache is warmed, the change commits, the next event sees it."""
    from preferences.models import Purpose
    from tests.conftest import _subject

    analytics = Purpose.objects.create(slug="analytics", name="Analytics",
                                       description="We count page views.")
    dave = _subject("dave@example.net", "dave-4", [newsletter], country="FR")
    client = api("events:ingest", "subjects:read")
    ref = {"external_id": "dave-4"}
    assert outcomes(post(client, EVENTS, [event(ref)])) == [("dropped", "not_opted_in")]
    assert outcomes(post(client, EVENTS, [event(ref)])) == [("dropped", "not_opted_in")]
    turn(dave, analytics, True)
    assert outcomes(post(client, EVENTS, [event(ref)])) == [("kept", "opted_in")]
    analytics.legal_basis = "legitimate_interest"  # a purpose edit reaches the defaults too
    analytics.save()
    services.subject_upsert(actor=audit.SYSTEM, source="api", external_id="dave-4",
                            country="US")
    assert outcomes(post(client, EVENTS, [event(ref)])) == [("kept", "opted_in")]


def test_a_pending_subject_is_never_kept(ingest, purposes, newsletter):
    services.subject_upsert(actor=audit.SYSTEM, source="signup", email="eve@example.com",
                            country="US", subscriptions={"newsletter": True},
                            double_opt_in=True)
    body = post(ingest, EVENTS, [event({"email": "eve@example.com"}, "personalisation")])
    assert outcomes(body) == [("dropped", "pending_confirmation")]


def test_a_write_that_bypasses_the_services_is_seen_within_the_cache_lifetimes(
        ingest, alice, purposes, monkeypatch):
    """Erasure updates subjects set-based (no signal): bounded, not forever."""
    from django.core.cache import cache

    from preferences.models import Subject
    from preferences.privacy import consent_cache

    turn(alice, purposes["analytics"], True)
    ref = {"email": "alice@example.com"}
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("kept", "opted_in")]
    Subject.objects.filter(pk=alice.pk).update(email=None, email_digest=None)
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("kept", "opted_in")]  # cached
    cache.delete(f"hush:consent:{alice.pk}")  # the shared entry's TTL has passed
    monkeypatch.setattr(consent_cache, "LOCAL_TTL", -1)  # and the thread's own
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("dropped", "unknown_subject")]


def test_an_erased_subjects_next_event_is_dropped_at_once(
        ingest, alice, purposes, django_capture_on_commit_callbacks):
    """Erasure writes set-based (no signal) but tells the cache on commit."""
    from tests.anonymizer.test_erasure import drive, erase

    turn(alice, purposes["analytics"], True)
    ref = {"id": str(alice.public_id)}
    assert outcomes(post(ingest, EVENTS, [event(ref)])) == [("kept", "opted_in")]  # cached
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "done"
    assert outcomes(post(ingest, EVENTS, [event(ref)]))[0][0] == "dropped"
