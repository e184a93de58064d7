"""Erasure requests (list, detail with steps and progress, retry, the verifiable report)
and the PII catalog with the latest pii_audit run."""

import hashlib
import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

import audit
from anonymizer import erasure as erasures
from anonymizer.catalog import entries, reviewed
from anonymizer.erasure.selectors import OPEN, erasure_progress, erasure_report, erasures_list
from anonymizer.models import ErasureRequest, PiiAuditRun
from audit.console import plain
from audit.console.access import role_required
from audit.models import AuditEvent


@role_required("view_erasures")
def erasure_list(request):
    status = request.GET.get("status", "")
    page = Paginator(erasures_list(status=status), 50).get_page(request.GET.get("page"))
    return render(request, "console/erasures.html", {
        "page": page, "status": status, "statuses": ErasureRequest.Status.values,
        "rows": [(r, erasure_progress(r)) for r in page],
    })


def _report(erasure) -> dict:
    """The report, plus the audit events about this request with their chain hashes:
    anyone holding the file can check each event against the audit trail."""
    report = erasure_report(erasure)
    events = (AuditEvent.objects.filter(target_type="anonymizer.erasurerequest",
                                        target_id=str(erasure.pk)).order_by("id"))
    report["audit_events"] = [
        {"seq": e.seq, "occurred_at": e.occurred_at, "action": e.action,
         "actor": f"{e.actor_type}:{e.actor_id}" if e.actor_id else e.actor_type,
         "details": e.details, "hash": e.hash or None} for e in events]
    body = json.dumps(report, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    report["sha256"] = hashlib.sha256(body.encode()).hexdigest()
    return report


@role_required("view_erasures")
def erasure_detail(request, pk):
    erasure = get_object_or_404(ErasureRequest, pk=pk)
    report = _report(erasure)
    progress = report["progress"]
    # The page names actors as people read them; the report file keeps type:id.
    events = list(AuditEvent.objects.filter(target_type="anonymizer.erasurerequest",
                                            target_id=str(erasure.pk)).order_by("id"))
    people = plain.events_people(events)
    actors = [people[e.actor_type, e.actor_id] for e in events]
    return render(request, "console/erasure.html", {
        "erasure": erasure, "report": report, "progress": progress,
        "events": list(zip(report["audit_events"], actors, strict=True)),
        "percent": round(100 * progress["done"] / progress["total"]) if progress["total"] else 0,
        "running": erasure.status in OPEN,
        "can_retry": erasure.status == ErasureRequest.Status.FAILED
        and request.user.has_perm("audit.manage_erasures"),
    })


@role_required("view_erasures")
def erasure_report_download(request, pk):
    erasure = get_object_or_404(ErasureRequest, pk=pk)
    audit.record(actor=request.user, action="erasure.report_downloaded", target=erasure)
    body = json.dumps(_report(erasure), cls=DjangoJSONEncoder, indent=2, sort_keys=True)
    return HttpResponse(body, content_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="erasure-{erasure.key}.json"'})


@require_POST
@role_required("manage_erasures")
def erasure_retry(request, pk):
    erasure = get_object_or_404(ErasureRequest, pk=pk)
    count = erasures.erasure_retry(request_id=erasure.pk, actor=request.user)
    messages.success(request, ngettext("%(n)d step queued again.", "%(n)d steps queued again.",
                                       count) % {"n": count} if count
                     else _("Nothing to retry: the request has not failed."))
    return redirect("console:erasure", pk=erasure.pk)


@role_required("view_pii_catalog")
def pii_catalog(request):
    run = PiiAuditRun.objects.order_by("-started_at", "-id").first()
    return render(request, "console/pii.html", {
        "entries": sorted(entries(), key=lambda e: e.key), "reviewed": sorted(reviewed().items()),
        "run": run,
    })
