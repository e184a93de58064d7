"""The console's imports (privacy officer): upload a file, watch its progress, download
the bad-rows report (line and reason, never the values)."""

import csv

from django import forms
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

import audit
from audit.console.access import role_required
from preferences.imports.presets import PRESETS
from preferences.imports.rows import PlanError, map_parse
from preferences.imports.services import import_upload
from preferences.models import Import, Topic


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=Import.Kind.choices, label="What the file holds")
    file = forms.FileField(label="File (CSV with a header, or JSON lines)")
    preset = forms.ChoiceField(
        required=False, label="Exported from",
        choices=[("", "Hush's own columns (email, locale, country, one per topic)")]
        + [(name, name.title() if name != "sendgrid" else "SendGrid") for name in PRESETS])
    topic = forms.ChoiceField(required=False, label="Topic the list feeds (one-list exports)")
    map = forms.CharField(required=False, max_length=2000, label="Columns (optional)",
                          help_text="FIELD=COLUMN pairs, e.g. email=Mail,newsletter=News")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "—")] + [
            (t.slug, t.name) for t in Topic.objects.order_by("name")]

    def clean_map(self):
        try:
            return map_parse(self.cleaned_data["map"])
        except PlanError as exc:
            raise forms.ValidationError(str(exc)) from None


@role_required("manage_imports")
def import_list(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = import_upload(kind=data["kind"], upload=data["file"], actor=request.user,
                                preset=data["preset"], mapping=data["map"],
                                topic_slug=data["topic"])
        except PlanError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, "The file is being imported.")
            return redirect("console:import", key=job.key)
    return render(request, "console/imports.html", {
        "form": form, "imports": Import.objects.order_by("-created_at")[:50]})


@role_required("manage_imports")
def import_detail(request, key):
    job = get_object_or_404(Import, key=key)
    return render(request, "console/import.html", {
        "job": job, "running": job.status in (Import.Status.QUEUED, Import.Status.RUNNING),
        "percent": round(job.progress * 100),
        "problems": job.problems.order_by("line")[:100]})


class _Echo:
    def write(self, value):
        return value


@role_required("manage_imports")
def import_report(request, key):
    """The bad rows as CSV (line, reason), streamed however many."""
    job = get_object_or_404(Import, key=key)
    audit.record(actor=request.user, action="import.report_downloaded", target=job)
    writer = csv.writer(_Echo())
    labels = dict(job.problems.model.Reason.choices)

    def rows():
        yield writer.writerow(["line", "reason", "explanation"])
        for line, reason in job.problems.order_by("line").values_list("line", "reason") \
                .iterator(chunk_size=5000):
            yield writer.writerow([line, reason, labels.get(reason, reason)])

    return StreamingHttpResponse(rows(), content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="import-{job.key}-bad-rows.csv"'})
