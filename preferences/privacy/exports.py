""""Download my data": an access request answered with everything the PII catalog
finds for the subject, in Hush's own tables and the company's databases.

The file (a zip holding `data.json` and a readable `data.html`) is encrypted with
the field keys and kept in HUSH_EXPORT_DIR; the link emailed to the subject is
signed, expires after HUSH_EXPORT_LINK_MAX_AGE and works once. The file is
deleted after the download or at expiry. Request, delivery, download and expiry
are each recorded in the audit trail.
"""

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

import audit
from anonymizer import catalog, external
from common.crypto import fernet
from common.tasks import task_send_on_commit
from preferences.branding.mail import branded_mail
from preferences.branding.selectors import default_brand
from preferences.email import DOWNLOAD, mail_allowed, mail_send_message
from preferences.erased import SubjectErased, is_erased, refuse_erased
from preferences.models import DataExport, Subject
from preferences.privacy.readable import readable

EXPORT_SALT = "hush.export.v1"


class ExportUnavailable(Exception):
    """The link is not ours, is for someone else, was used already or expired."""


def export_request(*, subject: Subject, source: str, actor) -> DataExport:
    """Record the request and build the file in a task (idempotent while one is pending)."""
    with transaction.atomic():
        refuse_erased(subject)
        pending = subject.exports.filter(status=DataExport.Status.PENDING).first()
        if pending:
            return pending
        export = DataExport.objects.create(subject=subject, source=source)
        audit.record(actor=actor, action="export.requested", target=subject,
                     details={"export": str(export.key), "source": source})
        task_send_on_commit("preferences.export_build", export_id=export.pk)
    return export


# --- assembling ---------------------------------------------------------------------

def _plain(value):
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def _hush_rows(entry, subject) -> list[dict]:
    model = entry.model
    catalogued = [f.name for f in entry.fields]
    # The catalogued fields, and the row's own plain columns that give them meaning
    # (a subscription's topic and status, a consent event's change and source).
    context = [f.name for f in model._meta.concrete_fields
               if not f.primary_key and not isinstance(f, models.ForeignKey)
               and f.name not in catalogued]
    relations = [f.name for f in model._meta.concrete_fields
                 if isinstance(f, models.ForeignKey) and f.related_model is not Subject]
    identifier = getattr(subject, entry.subject_by)
    if identifier in (None, ""):
        return []
    rows = []
    for row in model.objects.filter(**{entry.subject: identifier}):
        out = {name: _plain(getattr(row, name)) for name in catalogued}
        out.update({name: _plain(getattr(row, name)) for name in context})
        for name in relations:
            related = getattr(row, name)
            out[name] = str(related) if related is not None else None
        rows.append(out)
    return rows


def _external_rows(entry, subject) -> list[dict]:
    identifier = external.subject_identifier(subject, entry.subject_by)
    if identifier is None:
        return []
    columns = [f.name for f in entry.fields]
    rows = external.external_rows(entry, identifier, columns=columns)
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def export_assemble(subject: Subject) -> dict:
    """Every catalogued field of every catalog entry for the subject."""
    sections = []
    for entry in catalog.entries():
        if entry.subject is None:
            continue  # not linked to a person (e.g. feedback): nothing of theirs to find
        rows = (_external_rows(entry, subject) if entry.external
                else _hush_rows(entry, subject))
        sections.append({
            "key": entry.key,
            "meaning": (entry.for_person.meaning.value if entry.for_person else "other"),
            "where": f"{entry.database}.{entry.table}" if entry.external else "hush",
            "description": entry.description,
            "fields": [f.name for f in entry.fields],
            "rows": rows,
        })
    return {"subject": str(subject.public_id), "generated_at": timezone.now().isoformat(),
            "entries": sections}


def _zip(data: dict, language: str) -> bytes:
    """data.json (everything, for programs), data.html (for the person: grouped by
    meaning, in plain words) and its style sheet (a file beside it: no inline style)."""
    with translation.override(language):
        html = render_to_string("preferences/export.html", {
            "data": data, "groups": readable(data),
            "generated_at": parse_datetime(data["generated_at"])})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2,
                                                 ensure_ascii=False))
        archive.writestr("data.html", html)
        archive.writestr("style.css", Path(finders.find("export.css")).read_text())
    return buffer.getvalue()


def _directory() -> Path:
    path = Path(settings.HUSH_EXPORT_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def export_build(*, export_id: int) -> str:
    """Assemble, encrypt and store the file, then email the link (the task's body)."""
    export = DataExport.objects.select_related("subject").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return "skipped"
    subject = export.subject
    if subject.erased_at is not None:
        return "skipped"  # erased meanwhile: its rows go with the erasure
    if subject.email and not mail_allowed(subject.email, kind=DOWNLOAD):
        # nowhere it may go (a complaint, a bounce): nothing is built, nothing sent
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.FAILED)
        audit.record(actor=audit.SYSTEM, action="export.refused", target=subject,
                     details={"export": str(export.key), "why": "suppressed"})
        return "refused"
    language = subject.locale if subject.locale in dict(settings.LANGUAGES) else "en"
    blob = fernet().encrypt(_zip(export_assemble(subject), language))
    name = f"{export.key.hex}.zip.enc"
    (_directory() / name).write_bytes(blob)
    now = timezone.now()
    with transaction.atomic():
        DataExport.objects.filter(pk=export.pk).update(
            status=DataExport.Status.SENT, sent_at=now, file_name=name,
            expires_at=now + timedelta(seconds=settings.HUSH_EXPORT_LINK_MAX_AGE))
        export.refresh_from_db()
        _send_link(export, language)
        audit.record(actor=audit.SYSTEM, action="export.delivered", target=subject,
                     details={"export": str(export.key)})
    return "sent"


def make_export_token(export: DataExport) -> str:
    return signing.dumps([export.key.hex, export.subject.public_id.hex], salt=EXPORT_SALT)


def export_url(export: DataExport) -> str:
    return settings.HUSH_BASE_URL + reverse("preferences:export_download",
                                            args=[make_export_token(export)])


def _send_link(export: DataExport, language: str) -> None:
    if not export.subject.email:
        return
    mail_send_message(branded_mail(template="export_link", brand=default_brand(),
                                   language=language, to=export.subject.email, context={
                                       "url": export_url(export),
                                       "hours": settings.HUSH_EXPORT_LINK_MAX_AGE // 3600}),
                      kind=DOWNLOAD)


# --- downloading and expiry ------------------------------------------------------------

def export_read_token(token: str) -> DataExport:
    if not isinstance(token, str) or len(token) > 512:
        raise ExportUnavailable
    try:
        key_hex, subject_hex = signing.loads(token, salt=EXPORT_SALT,
                                             max_age=settings.HUSH_EXPORT_LINK_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        raise ExportUnavailable from None
    export = (DataExport.objects.select_related("subject")
              .filter(key=key_hex if _hex(key_hex) else None).first())
    if _hex(subject_hex) and is_erased(subject_hex):
        raise SubjectErased  # a genuine link of a subject erased since
    if export is None or export.subject.public_id.hex != subject_hex:
        raise ExportUnavailable  # another subject's export, or gone
    return export


def _hex(value) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(
        c in "0123456789abcdef" for c in value)


def export_download(*, token: str) -> bytes:
    """The zip, once: the first download claims it and deletes the file."""
    export = export_read_token(token)
    now = timezone.now()
    with transaction.atomic():
        claimed = DataExport.objects.filter(
            pk=export.pk, status=DataExport.Status.SENT, expires_at__gt=now,
        ).update(status=DataExport.Status.DOWNLOADED, downloaded_at=now)
        if not claimed:
            raise ExportUnavailable
        path = _directory() / export.file_name
        blob = path.read_bytes()
        audit.record(actor=export.subject, action="export.downloaded", target=export.subject,
                     details={"export": str(export.key)})
    path.unlink(missing_ok=True)
    return fernet().decrypt(blob)


def exports_expire() -> int:
    """Delete the files of links that expired unused (the beat task's body)."""
    now = timezone.now()
    expired = 0
    for export in DataExport.objects.filter(status=DataExport.Status.SENT, expires_at__lte=now):
        with transaction.atomic():
            if not DataExport.objects.filter(pk=export.pk, status=DataExport.Status.SENT
                                             ).update(status=DataExport.Status.EXPIRED):
                continue
            audit.record(actor=audit.SYSTEM, action="export.expired", target=export.subject,
                         details={"export": str(export.key)})
        if export.file_name:
            (_directory() / export.file_name).unlink(missing_ok=True)
        expired += 1
    # A file whose request is gone (the subject was erased meanwhile) goes too.
    known = set(DataExport.objects.exclude(file_name="").values_list("file_name", flat=True))
    too_old = now.timestamp() - settings.HUSH_EXPORT_LINK_MAX_AGE
    for path in _directory().glob("*.zip.enc"):
        if path.name not in known and path.stat().st_mtime < too_old:
            path.unlink(missing_ok=True)
    return expired
