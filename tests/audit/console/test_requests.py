"""The console's "Requests" queue: every verified request with its deadline, soonest
first; the privacy officer approves, denies with a listed reason (emailed; nothing
erased) or extends once (GDPR +2 months, CCPA +45 days); overdue and due-soon on the
overview; every decision audited. alice is in GB (GDPR), carol in the US (CCPA)."""

import re
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.utils import timezone

from anonymizer.models import ErasureRequest
from audit.models import AuditEvent
from preferences.models import RightsRequest, Subject
from preferences.privacy.rights import services


@pytest.fixture
def run_after_commit(django_capture_on_commit_callbacks):
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)
    return run


@pytest.fixture
def verified(run_after_commit):
    """A request as the person left it: asked for, and confirmed with the emailed code."""
    def make(email, kind="erasure", **extra):
        request = run_after_commit(services.rights_request_open, kind=kind, email=email,
                                   source="privacy_request", **extra)
        code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
        run_after_commit(services.rights_verify_code, key=request.key, code=code)
        request.refresh_from_db()
        return request
    return make


def test_due_dates_come_from_the_jurisdiction(verified, alice, carol):
    gdpr = verified("alice@example.com")
    ccpa = verified("carol@example.net")
    unknown = verified("nobody@example.org")
    assert (gdpr.law, ccpa.law, unknown.law) == ("gdpr", "ccpa", "gdpr")
    assert gdpr.due_at == gdpr.verified_at + relativedelta(months=1)
    assert ccpa.due_at == ccpa.verified_at + timedelta(days=45)
    assert unknown.due_at == unknown.verified_at + relativedelta(months=1)


def test_the_queue_lists_verified_requests_soonest_due_first(officer, verified, alice, carol,
                                                             run_after_commit):
    late = verified("carol@example.net")   # CCPA: 45 days
    soon = verified("alice@example.com")   # GDPR: a month
    run_after_commit(services.rights_request_open, kind="access", email="x@example.com",
                     source="privacy_request")  # not verified: counted, not listed
    page = officer.get("/console/requests/").content.decode()
    rows = re.findall(r'data-request="([0-9a-f-]+)"', page)
    assert rows == [str(soon.key), str(late.key)]
    assert "Erasure: erase my data" in page and "Awaiting review" in page
    assert soon.due_at.strftime("%Y-%m-%d") in page
    assert re.search(r"<td>(29|30|31) days", page)  # time left, GDPR's month
    assert "Awaiting the person&#x27;s verification <strong>1</strong>" in page \
        or "Awaiting the person's verification <strong>1</strong>" in page


def test_approving_runs_the_erasure_and_is_audited(officer, verified, alice,
                                                   django_capture_on_commit_callbacks):
    request = verified("alice@example.com")
    assert ErasureRequest.objects.get().status == "awaiting_review"
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(f"/console/requests/{request.key}/approve/")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == "done" and request.decided_by
    assert ErasureRequest.objects.get().status != "awaiting_review"
    assert Subject.objects.get(pk=alice.pk).erased_at is not None
    event = AuditEvent.objects.get(action="rights.approved")
    assert event.actor_type == "user" and event.target_id == str(request.key)


def test_denying_emails_the_reason_and_erases_nothing(officer, verified, alice,
                                                      django_capture_on_commit_callbacks):
    request = verified("alice@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(f"/console/requests/{request.key}/deny/", {"reason": "legal_hold"})
    request.refresh_from_db()
    assert request.state == "denied" and request.denial_reason == "legal_hold"
    assert ErasureRequest.objects.get().status == "denied"
    subject = Subject.objects.get(pk=alice.pk)
    assert subject.email == "alice@example.com" and subject.erased_at is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    assert "We must keep the data by law (legal hold)" in mail.outbox[0].body
    assert "Nothing was erased" in mail.outbox[0].body
    event = AuditEvent.objects.get(action="rights.denied")
    assert event.details == {"kind": "erasure", "reason": "legal_hold"}
    assert request.email is None or RightsRequest.objects.get(pk=request.pk).email is None


def test_another_reason_needs_its_text(officer, verified, alice):
    request = verified("alice@example.com")
    officer.post(f"/console/requests/{request.key}/deny/", {"reason": "other"})
    request.refresh_from_db()
    assert request.state == "awaiting_review"
    officer.post(f"/console/requests/{request.key}/deny/",
                 {"reason": "other", "text": "We are checking with you by phone first."})
    request.refresh_from_db()
    assert request.state == "denied"
    assert "phone" not in str(AuditEvent.objects.get(action="rights.denied").details)


def test_extending_once_per_law(officer, verified, alice, carol):
    gdpr, ccpa = verified("alice@example.com"), verified("carol@example.net")
    for request in (gdpr, ccpa):
        officer.post(f"/console/requests/{request.key}/extend/",
                     {"reason": "Data in three archived systems."})
    before = {r.pk: r.due_at for r in (gdpr, ccpa)}
    gdpr.refresh_from_db()
    ccpa.refresh_from_db()
    assert gdpr.due_at == before[gdpr.pk] + relativedelta(months=2)
    assert ccpa.due_at == before[ccpa.pk] + timedelta(days=45)
    officer.post(f"/console/requests/{gdpr.key}/extend/", {"reason": "again"})
    gdpr.refresh_from_db()
    assert gdpr.due_at == before[gdpr.pk] + relativedelta(months=2)  # once only
    assert AuditEvent.objects.filter(action="rights.extended").count() == 2


def test_overdue_and_due_soon_show_on_the_overview(officer, verified, alice, carol, bob):
    overdue, soon = verified("alice@example.com"), verified("carol@example.net")
    verified("bob@example.org")  # a month away
    now = timezone.now()
    RightsRequest.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(hours=1))
    RightsRequest.objects.filter(pk=soon.pk).update(due_at=now + timedelta(days=2))
    page = officer.get("/console/").content.decode()
    assert re.search(r'id="requests-overdue"[^>]*>1<', page)
    assert 'id="requests-due-soon">1<' in page


def test_only_the_privacy_officer_decides(staff_client, verified, alice):
    request = verified("alice@example.com")
    auditor = staff_client("auditor")
    assert auditor.get("/console/requests/").status_code == 200
    assert "Approve" not in auditor.get("/console/requests/").content.decode()
    assert auditor.post(f"/console/requests/{request.key}/approve/").status_code == 403
    request.refresh_from_db()
    assert request.state == "awaiting_review"


def test_the_console_shows_the_agent(officer, verified, alice):
    verified("alice@example.com", kind="access", agent_name="Dana Agent",
             agent_declaration="Signed power of attorney dated 2026-11-01.")
    # access runs at once: done, and listed with its agent
    page = officer.get("/console/requests/").content.decode()
    assert "Agent: Dana Agent" in page and "power of attorney" in page


def test_the_queue_speaks_french(officer, verified, alice):
    verified("alice@example.com")
    officer.cookies["django_language"] = "fr"
    page = officer.get("/console/requests/").content.decode().replace("&#x27;", "'")
    assert "Demandes relatives aux droits" in page and "Approuver" in page
    assert "Effacement : effacer mes données" in page
    assert "Approve" not in page
