"""Receipts that keep the words: every purpose choice points at the immutable wording
the person was shown; the API and the center give it back exactly, with its hash,
even after the wording changed twice; the hash is in the audit event. And a Global
Privacy Control signal passed through the API is recorded with source `gpc`."""

import hashlib
import io
import json

import pgtrigger
import pytest
from django.urls import reverse

import audit
from audit.models import AuditEvent
from preferences.models import ConsentEvent, PurposeConsent, PurposeWording
from preferences.privacy import receipts
from preferences.privacy import services as privacy_services
from preferences.tokens import make_preferences_token

V1 = "We count page views."
V2 = "We count page views and clicks."
V3 = "We count page views, clicks and time on page."


def reword(purpose, description):
    purpose.description = description
    purpose.save()


@pytest.fixture
def history(alice, purposes):
    """alice says yes on v1, no on v2; then the wording changes once more (v3)."""
    analytics = purposes["analytics"]
    privacy_services.purpose_set(subject=alice, purpose=analytics, granted=True,
                                 source="preference_center", actor=alice)
    reword(analytics, V2)
    privacy_services.purpose_set(subject=alice, purpose=analytics, granted=False,
                                 source="api", actor=audit.SYSTEM)
    reword(analytics, V3)
    analytics.refresh_from_db()
    assert analytics.version == 3
    return alice


def test_receipts_keep_the_exact_words_of_each_version(api, history):
    response = api("subjects:read").get(f"/api/v1/subjects/{history.public_id}/receipts")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(history.public_id)
    first, second = body["receipts"]
    assert (first["purpose"], first["granted"], first["source"], first["version"]) == (
        "analytics", True, "preference_center", 1)
    assert first["wording"] == f"Analytics\n\n{V1}"
    assert (second["granted"], second["source"], second["version"]) == (False, "api", 2)
    assert second["wording"] == f"Analytics\n\n{V2}"
    for receipt in (first, second):
        assert receipt["wording_sha256"] == hashlib.sha256(
            receipt["wording"].encode()).hexdigest()
        assert receipt["jurisdiction"] == "gdpr"  # alice is in GB
        assert receipt["language"] == "en"
        assert receipt["occurred_at"]


def test_the_hash_of_the_words_is_in_the_audit_event(history):
    events = AuditEvent.objects.filter(action="purpose.changed").order_by("id")
    hashes = [e.details["wording_sha256"] for e in events]
    wordings = PurposeWording.objects.order_by("version")
    assert hashes == [w.sha256 for w in wordings][:2]


def test_wordings_cannot_be_edited(history, postgres):
    wording = PurposeWording.objects.order_by("version").first()
    wording.description = "We never counted anything."
    with pytest.raises(PermissionError):
        wording.save()
    from django.db import InternalError, ProgrammingError, transaction
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        PurposeWording.objects.filter(pk=wording.pk).update(description="rewritten")


def test_an_edited_wording_table_is_caught(history, postgres):
    """Past the trigger (a superuser could): the row no longer matches its hash, and the
    hash sealed in the audit trail still names the original words."""
    wording = PurposeWording.objects.order_by("version").first()
    with pgtrigger.ignore("preferences.PurposeWording:purpose_wording_no_update"):
        PurposeWording.objects.filter(pk=wording.pk).update(description="rewritten")
    assert receipts.wordings_verify() == [{"purpose": wording.purpose_id, "version": 1,
                                           "language": "en"}]
    sealed = AuditEvent.objects.filter(action="purpose.changed").order_by("id").first()
    assert sealed.details["wording_sha256"] != hashlib.sha256(
        PurposeWording.text_of("Analytics", "rewritten").encode()).hexdigest()


def test_a_wording_rewritten_with_its_hash_fails_verify_audit(history, postgres):
    """The attack in full: the words and the row's hash column rewritten past the
    trigger. The hash sealed when the wording was first shown still disagrees, and
    `verify_audit` says so and exits 1."""
    from django.core.management import call_command

    wording = PurposeWording.objects.order_by("version").first()
    forged = hashlib.sha256(PurposeWording.text_of("Analytics", "rewritten").encode()).hexdigest()
    call_command("verify_audit")  # sound before
    with pgtrigger.ignore("preferences.PurposeWording:purpose_wording_no_update"):
        PurposeWording.objects.filter(pk=wording.pk).update(description="rewritten",
                                                            sha256=forged)
    assert receipts.wordings_verify() == [{"purpose": wording.purpose_id, "version": 1,
                                           "language": "en"}]
    errors = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit", stderr=errors)
    assert exit_.value.code == 1
    assert f"purpose id={wording.purpose_id}, version 1, en" in errors.getvalue()


def test_renaming_a_purpose_is_a_new_version(purposes):
    analytics = purposes["analytics"]
    analytics.name = "Audience measurement"
    analytics.save()
    assert analytics.version == 2


def test_the_center_offers_the_receipt_as_a_download(client, history):
    token = make_preferences_token(subject=history)
    page = client.get(reverse("preferences:center", args=[token])).content.decode()
    url = reverse("preferences:receipt", args=[token])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert [r["wording"] for r in data["receipts"]] == [f"Analytics\n\n{V1}",
                                                       f"Analytics\n\n{V2}"]


def test_receipts_need_the_read_scope(api, history):
    assert api("consent:check").get(
        f"/api/v1/subjects/{history.public_id}/receipts").status_code == 403


def test_gpc_through_the_purposes_api(api, carol, purposes):
    response = api("subjects:write", "subjects:read").patch(
        f"/api/v1/subjects/{carol.public_id}/purposes", {"gpc": True}, format="json")
    assert response.status_code == 200
    assert response.json()["changed"] == ["partner_sharing"]
    consent = PurposeConsent.objects.get(subject=carol, purpose=purposes["partner_sharing"])
    assert consent.granted is False and consent.source == "gpc"
    event = ConsentEvent.objects.get(subject=carol, purpose=purposes["partner_sharing"])
    assert event.source == "gpc" and event.wording is not None


def test_gpc_through_an_events_call(api, carol, purposes):
    response = api("events:ingest").post("/api/v1/events", {"gpc": True, "events": [
        {"subject": {"email": "carol@example.net"}, "purpose": "partner_sharing",
         "page": "/shoes"}]}, format="json")
    assert response.status_code == 200
    assert response.json()["decisions"][0]["outcome"] != "kept"  # decided after the signal
    consent = PurposeConsent.objects.get(subject=carol, purpose=purposes["partner_sharing"])
    assert consent.granted is False and consent.source == "gpc"


def test_purposes_patch_needs_purposes_or_gpc(api, carol):
    response = api("subjects:write").patch(f"/api/v1/subjects/{carol.public_id}/purposes",
                                           {}, format="json")
    assert response.status_code == 400
