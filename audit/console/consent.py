"""The console's consent export (auditor and privacy officer; the emails need a
permission of their own) and suppression by typing an address (privacy officer)."""

from django import forms
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

import audit
from audit.console.access import role_required
from preferences.consent_export import consent_lines, consent_rows
from preferences.models import Suppression, Topic
from preferences.suppressions import (
    LIFTABLE,
    NotLiftable,
    suppression_by_address_add,
    suppression_by_address_lift,
)


class ConsentExportForm(forms.Form):
    topic = forms.ChoiceField(required=False, label="Topic")
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("jsonl", "JSON lines")],
                               initial="csv", required=False)
    with_email = forms.BooleanField(required=False, label="With email addresses")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "Every topic and purpose")] + [
            (t.slug, t.name) for t in Topic.objects.order_by("name")]


@role_required("export_consent")
def consent_export_page(request):
    return render(request, "console/consent.html", {"form": ConsentExportForm()})


@role_required("export_consent")
def consent_export(request):
    form = ConsentExportForm(request.GET)
    if not form.is_valid():
        return render(request, "console/consent.html", {"form": form}, status=400)
    topic, fmt = form.cleaned_data["topic"], form.cleaned_data["format"] or "csv"
    with_email = form.cleaned_data["with_email"]
    if with_email and not request.user.has_perm("audit.export_consent_emails"):
        return render(request, "console/forbidden.html", status=403)
    audit.record(actor=request.user, action="consent.exported",
                 details={"format": fmt, "topic": topic, "with_email": with_email,
                          "by": "console"})
    lines = consent_lines(consent_rows(topic=topic, with_email=with_email), fmt=fmt,
                          with_email=with_email)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return StreamingHttpResponse(lines, content_type="text/csv" if fmt == "csv" else
                                 "application/x-ndjson", headers={
        "Content-Disposition": f'attachment; filename="consent-{stamp}.{fmt}"',
        "Cache-Control": "no-store"})


class SuppressionForm(forms.Form):
    address = forms.EmailField(max_length=320, label="Email address")
    reason = forms.ChoiceField(choices=[(r.value, r.label) for r in Suppression.Reason
                                        if r in LIFTABLE], initial=Suppression.Reason.MANUAL)
    action = forms.ChoiceField(choices=[("suppress", "Suppress"), ("lift", "Lift")],
                               widget=forms.HiddenInput, initial="suppress")


@role_required("manage_suppressions")
def suppressions(request):
    form = SuppressionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address, action = form.cleaned_data["address"], form.cleaned_data["action"]
        try:
            if action == "lift":
                done = suppression_by_address_lift(email=address, actor=request.user)
                messages.success(request, "Lifted." if done else "That address was not on "
                                 "the suppression list.")
            else:
                done = suppression_by_address_add(email=address, reason=form.cleaned_data[
                    "reason"], actor=request.user)
                messages.success(request, "Suppressed: it will not be mailed again." if done
                                 else "That address was already suppressed.")
        except NotLiftable:
            messages.error(request, "Kept: an erasure, or the person's own unsubscribe from "
                           "everything, is not lifted by staff.")
            return redirect("console:suppressions")
        except ValueError:
            form.add_error("address", "Not a valid email address.")
        else:
            return redirect("console:suppressions")
    return render(request, "console/suppressions.html", {"form": form})
