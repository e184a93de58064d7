"""Erasure requests in the console: list, detail with steps and progress, retry of
failed steps (privacy officer), the report as a page and a verifiable file; the PII
catalog with the latest pii_audit run."""

import hashlib
import json

import pytest
from django.utils import timezone

import audit
from anonymizer.models import ErasureRequest, ErasureStep, PiiAuditRun
from audit.models import AuditEvent
from audit.services import chain_seal


@pytest.fixture
def failed_erasure(alice):
    request = ErasureRequest.objects.create(subject_public_id=alice.public_id, source="staff",
                                            status="failed", started_at=timezone.now(),
                                            finished_at=timezone.now())
    ErasureStep.objects.create(request=request, target="preferences.subject", status="done",
                               rows_affected=1, fields_changed=["email", "external_id"],
                               finished_at=timezone.now())
    ErasureStep.objects.create(request=request, target="destination:1", status="failed",
                               attempts=25, last_error="ConnectionError: refused")
    audit.record(actor=audit.SYSTEM, action="erasure.requested", target=request,
                 details={"subject": str(alice.public_id), "source": "staff"})
    return request


def test_the_list_shows_status_and_progress(officer, failed_erasure):
    page = officer.get("/console/erasures/").content.decode()
    assert f'href="/console/erasures/{failed_erasure.pk}/"' in page
    assert 'value="1"' in page and "1/2" in page and "1 failed" in page
    assert "No erasure requests with this status" in officer.get(
        "/console/erasures/?status=running").content.decode()


def test_the_detail_shows_each_step_and_its_counts(staff_client, failed_erasure, alice):
    page = staff_client("auditor").get(f"/console/erasures/{failed_erasure.pk}/").content \
        .decode()
    assert "<td>preferences.subject</td><td>done</td><td>0</td><td>1</td>" \
           "<td>email, external_id</td>" in page
    assert "ConnectionError: refused" in page
    assert "Retry failed steps" not in page  # auditors read only
    assert "alice@example.com" not in page


def test_an_officer_retries_the_failed_steps(officer, failed_erasure):
    response = officer.post(f"/console/erasures/{failed_erasure.pk}/retry/", follow=True)
    assert "1 step queued again." in response.content.decode()
    assert ErasureStep.objects.get(target="destination:1").status == "pending"
    assert ErasureRequest.objects.get().status == "running"
    event = AuditEvent.objects.get(action="erasure.retried")
    assert (event.actor_type, event.details) == ("user", {"steps": 1})


def test_the_report_file_holds_the_audit_events_and_its_own_digest(officer, failed_erasure):
    chain_seal()
    response = officer.get(f"/console/erasures/{failed_erasure.pk}/report.json")
    assert response["Content-Disposition"] == \
        f'attachment; filename="erasure-{failed_erasure.key}.json"'
    report = json.loads(response.content)
    digest = report.pop("sha256")
    body = json.dumps(report, sort_keys=True, separators=(",", ":"))
    assert hashlib.sha256(body.encode()).hexdigest() == digest
    event = AuditEvent.objects.get(action="erasure.requested")
    assert report["audit_events"][0]["hash"] == event.hash
    assert [s["target"] for s in report["steps"]] == ["preferences.subject", "destination:1"]
    assert AuditEvent.objects.filter(action="erasure.report_downloaded").count() == 1


def test_the_pii_catalog_and_the_latest_audit(staff_client):
    PiiAuditRun.objects.create(databases=["default"], sample_size=100, columns_sampled=40,
                               findings=[{"problem": "uncovered", "database": "default",
                                          "table": "crm_notes", "column": "body",
                                          "kinds": {"EMAIL": 3}}])
    page = staff_client("auditor").get("/console/pii/").content.decode()
    assert "preferences.subject" in page.lower() or "preferences_subject" in page
    assert "crm_notes" in page and "1 finding<" in page
    overview = staff_client("auditor").get("/console/").content.decode()
    assert 'id="pii-findings">1<' in overview


def test_the_overview_counts_running_erasures(officer, alice):
    ErasureRequest.objects.create(subject_public_id=alice.public_id, source="api",
                                  status="running")
    assert 'id="erasures-running">1<' in officer.get("/console/").content.decode()
