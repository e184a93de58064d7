"""The staff console's pages. Each is gated by `role_required(<permission>)`."""

import csv
import json
from datetime import timedelta

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

import audit
from anonymizer.erasure.selectors import erasures_counts
from anonymizer.models import PiiAuditRun
from audit.console import plain
from audit.console.access import role_required
from audit.console.forms import AuditFilterForm, SubjectLookupForm
from audit.console.plain import mask_email
from audit.selectors import chain_status, chain_verify, events_iter, events_page
from audit.services import chain_seal
from common.tasks import task_send_on_commit
from preferences.models import Destination, Subject
from preferences.propagation import delivery
from preferences.propagation.selectors import (
    deliveries_counts,
    deliveries_failed,
    deliveries_open,
    destinations_health,
)
from preferences.selectors import (
    consent_history,
    subject_by_email,
    subject_subscriptions,
    unsubscribes_since,
)


def _day_start(now):
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@role_required("view_overview")
def overview(request):
    now = timezone.now()
    today = _day_start(now)
    week = today - timedelta(days=today.weekday())
    deliveries, erasures = deliveries_counts(), erasures_counts()
    context = {
        "unsubscribes_today": unsubscribes_since(today),
        "unsubscribes_week": unsubscribes_since(week),
        "deliveries_pending": deliveries["pending"],
        "deliveries_failed": deliveries["failed"],
        "chain": chain_status(),
        "erasures_running": erasures["running"],
        "erasures_failed": erasures["failed"],
        "pii_audit": PiiAuditRun.objects.order_by("-started_at", "-id").first(),
    }
    return render(request, "console/overview.html", context)


# --- audit trail ---------------------------------------------------------------------

@role_required("view_audit_trail")
def audit_trail(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    events, next_cursor = ([], None) if form.is_bound and not form.is_valid() else \
        events_page(filters, before=request.GET.get("before"))
    query = request.GET.copy()
    query.pop("before", None)
    people = plain.events_people(events)
    rows = [{"event": e, "actor": people[e.actor_type, e.actor_id],
             "target": people.get((e.target_type, e.target_id), ""),
             "fields": plain.details_fields(e.details)} for e in events]
    return render(request, "console/audit.html", {
        "form": form, "rows": rows, "next_cursor": next_cursor,
        "query": query.urlencode(), "filtered": bool(filters),
        "verification": request.session.pop("console_chain_report", None),
    })


@role_required("export_audit_trail")
def audit_export(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('console:audit')}?{request.GET.urlencode()}")
    filters = form.filters() if form.is_bound else {}
    audit.record(actor=request.user, action="audit.exported", details={"filters": filters})
    return StreamingHttpResponse(
        _csv_rows(filters), content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="hush-audit.csv"'})


class _Echo:
    def write(self, value):
        return value


def _csv_rows(filters):
    writer = csv.writer(_Echo())
    yield writer.writerow(["seq", "occurred_at", "actor_type", "actor_id", "action",
                           "target_type", "target_id", "details", "prev_hash", "hash"])
    for e in events_iter(filters):
        yield writer.writerow([
            e.seq or "", e.occurred_at.isoformat(), e.actor_type, e.actor_id, e.action,
            e.target_type, e.target_id, json.dumps(e.details, sort_keys=True), e.prev_hash,
            e.hash])


@require_POST
@role_required("verify_chain")
def audit_verify(request):
    sealed = chain_seal()
    report = chain_verify()
    details = {"ok": report.ok, "checked": report.checked, "sealed_now": sealed}
    if not report.ok:
        details.update(broken_seq=report.broken_seq, reason=report.reason)
    audit.record(actor=request.user, action="audit.chain_verified", details=details)
    request.session["console_chain_report"] = {**details, "unsealed": report.unsealed}
    return redirect("console:audit")


# --- deliveries ----------------------------------------------------------------------

@role_required("view_deliveries")
def deliveries(request):
    destinations = [{"destination": d, "health": h, "state": plain.destination_state(d, h),
                     "rate": plain.rate_words(h.get("failed_attempts", 0), h.get("attempts", 0))
                     if "attempts" in h else None}
                    for d, h in destinations_health()]
    return render(request, "console/deliveries.html", {
        "destinations": destinations, "pending": deliveries_open(),
        "failed": deliveries_failed(),
        "can_manage": request.user.has_perm("audit.manage_deliveries"),
    })


@require_POST
@role_required("manage_deliveries")
def deliveries_retry(request):
    if request.POST.get("all") == "1":
        count = delivery.deliveries_retry(ids=None, actor=request.user)
    else:
        try:
            ids = [int(request.POST["id"])]
        except (KeyError, ValueError):
            messages.error(request, _("Choose a delivery to retry."))
            return redirect("console:deliveries")
        count = delivery.deliveries_retry(ids=ids, actor=request.user)
    messages.success(request, ngettext("%(n)d failed delivery queued again.",
                                       "%(n)d failed deliveries queued again.", count)
                     % {"n": count})
    return redirect("console:deliveries")


@require_POST
@role_required("manage_deliveries")
def destination_pause(request, pk):
    destination = get_object_or_404(Destination, pk=pk)
    if delivery.destination_pause(destination=destination, actor=request.user):
        messages.success(request, _("%(name)s paused: its deliveries wait.")
                         % {"name": destination.name})
    return redirect("console:deliveries")


@require_POST
@role_required("manage_deliveries")
def destination_resume(request, pk):
    destination = get_object_or_404(Destination, pk=pk)
    if delivery.destination_resume(destination=destination, actor=request.user, by="staff"):
        messages.success(request, _("%(name)s resumed.") % {"name": destination.name})
    return redirect("console:deliveries")


# --- subjects ------------------------------------------------------------------------

@role_required("lookup_subject")
def subjects(request):
    """Find one subject by exact email (POST, so the address stays out of URLs and logs)."""
    form = SubjectLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subject = subject_by_email(form.cleaned_data["email"])
        audit.record(actor=request.user, action="subject.looked_up", target=subject,
                     details={"found": subject is not None})
        if subject is not None:
            return redirect("console:subject", public_id=subject.public_id)
        form.add_error("email", _("No subject has this address."))
    return render(request, "console/subjects.html", {"form": form})


@role_required("lookup_subject")
def subject_detail(request, public_id):
    subject = get_object_or_404(Subject, public_id=public_id)
    audit.record(actor=request.user, action="subject.viewed", target=subject)
    return render(request, "console/subject.html", {
        "subject": subject, "masked_email": mask_email(subject.email),
        "subscriptions": sorted(subject_subscriptions(subject).values(),
                                key=lambda s: s.topic.slug),
        "history": consent_history(subject, limit=200),
        "can_send_link": request.user.has_perm("audit.send_preference_link"),
    })


@require_POST
@role_required("send_preference_link")
def subject_send_link(request, public_id):
    subject = get_object_or_404(Subject, public_id=public_id)
    audit.record(actor=request.user, action="preference_link.requested", target=subject,
                 details={"by": "staff"})
    task_send_on_commit("preferences.preference_link_send", subject_id=str(subject.public_id))
    messages.success(request, _("A fresh preference link is on its way to the subject."))
    return redirect("console:subject", public_id=subject.public_id)
