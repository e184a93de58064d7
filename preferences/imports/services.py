"""Running an import: open it (`import_open`), then read and write it batch by batch
(`import_run`), each batch in one transaction with the job's checkpoint, so a run that
stops (a killed worker, a cut database) continues after the last committed batch and
a second run of the same file changes nothing.

Audited per batch (`import.batch`, with counts) and at the start and end; the rows'
ConsentEvents keep each person's history. Nothing personal is logged or reported:
a bad row is its line number and a fixed reason.
"""

import hashlib
import logging
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

import audit
from common.tasks import task_send_on_commit
from preferences.imports import bulk
from preferences.imports.reader import Unreadable, rows_read
from preferences.imports.rows import (
    PlanError,
    Problem,
    plan_make,
    subject_parse,
    suppression_parse,
)
from preferences.models import (
    Destination,
    DigestSuppression,
    Import,
    ImportProblem,
    Subject,
    Topic,
)
from preferences.propagation.outbox import outbox_write_many

logger = logging.getLogger(__name__)
MATCH_PAGE = 5000


class ImportMoved(Exception):
    """Another run of the same import committed a batch meanwhile: this one stops."""


def file_sha256(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _actor_text(actor) -> str:
    kind, ident = audit.actor_of(actor)
    return f"{kind}:{ident}"


def _actor(job: Import):
    kind, _, ident = job.requested_by.partition(":")
    return (kind, ident) if kind and kind != "system" else audit.SYSTEM


def import_open(*, kind: str, path: str, actor, preset: str = "", mapping: dict | None = None,
                topic_slug: str = "", file_name: str = "") -> tuple[Import, bool]:
    """A new import of the file, or the unfinished one of the same file and options
    (returns it and True: run it again to continue). Raises PlanError for a file or
    options that cannot be imported, before anything is written."""
    if kind not in Import.Kind.values:
        raise PlanError("import subjects or suppressions")
    if connection.vendor != "postgresql":
        raise PlanError("imports write set-based SQL: they need PostgreSQL (DATABASE_URL)")
    if topic_slug and not Topic.objects.filter(slug=topic_slug).exists():
        raise PlanError("no topic has that slug")
    try:
        with open(path, "rb") as stream:
            header, _ = rows_read(stream)
    except (OSError, Unreadable, UnicodeDecodeError) as exc:
        raise PlanError(f"the file cannot be read ({type(exc).__name__})") from None
    plan_make(kind=kind, header=header, preset=preset, mapping=mapping, topic_slug=topic_slug)
    sha256, size = file_sha256(path)
    mapping = mapping or {}
    unfinished = Import.objects.filter(
        kind=kind, file_sha256=sha256, preset=preset, mapping=mapping, topic_slug=topic_slug,
        status__in=[Import.Status.QUEUED, Import.Status.RUNNING, Import.Status.FAILED],
    ).order_by("-created_at").first()
    if unfinished is not None:  # the same bytes: the checkpoint holds for this copy too
        if unfinished.file_path != str(path):
            _upload_delete(unfinished)
            unfinished.file_path = str(path)
            unfinished.save(update_fields=["file_path"])
        return unfinished, True
    job = Import.objects.create(
        kind=kind, preset=preset, mapping=mapping, topic_slug=topic_slug, file_path=str(path),
        file_name=(file_name or Path(path).name)[:200], file_sha256=sha256, file_size=size,
        requested_by=_actor_text(actor))
    audit.record(actor=actor, action="import.opened", target=job,
                 details={"kind": kind, "preset": preset, "bytes": size})
    return job, False


def import_run(*, job_id: int, progress: Callable[[Import], None] | None = None,
               batch_size: int | None = None) -> Import:
    """Read the import from its checkpoint to the end of its file."""
    batch_size = batch_size or settings.HUSH_IMPORT_BATCH
    job = Import.objects.get(pk=job_id)
    if job.status == Import.Status.DONE:
        return job
    Import.objects.filter(pk=job.pk).update(status=Import.Status.RUNNING, error="",
                                            started_at=job.started_at or timezone.now(),
                                            beat_at=timezone.now())
    job.refresh_from_db()
    try:
        with open(job.file_path, "rb") as stream:
            header, rows = rows_read(stream, start_line=job.lines_done,
                                     start_byte=job.bytes_done)
            plan = plan_make(kind=job.kind, header=header, preset=job.preset,
                             mapping=job.mapping, topic_slug=job.topic_slug)
            context = _Context(job)
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) >= batch_size:
                    _batch_commit(job, plan, batch, context)
                    batch = []
                    if progress:
                        progress(job)
            if batch:
                _batch_commit(job, plan, batch, context)
        if job.kind == Import.Kind.SUPPRESSIONS and {"sha256", "md5"} & set(plan.columns):
            digest_suppressions_match(actor=_actor(job))
    except ImportMoved:
        job.refresh_from_db()
        return job
    except (OSError, Unreadable, PlanError) as exc:
        Import.objects.filter(pk=job.pk).update(
            status=Import.Status.FAILED, error=f"the file cannot be read ({type(exc).__name__})")
        job.refresh_from_db()
        return job
    job.status, job.finished_at = Import.Status.DONE, timezone.now()
    job.save(update_fields=["status", "finished_at"])
    audit.record(actor=_actor(job), action="import.finished", target=job, details=_counts(job))
    _upload_delete(job)
    if progress:
        progress(job)
    return job


class _Context:
    """What a run looks up once: topics, whether anyone listens, the digest list."""

    def __init__(self, job: Import):
        self.topics = {t.slug: t for t in Topic.objects.all()}
        self.topic_ids = {slug: t.pk for slug, t in self.topics.items()}
        self.topic_by_id = {t.pk: t for t in self.topics.values()}
        self.listened = Destination.objects.filter(enabled=True).exists()
        self.match_digests = DigestSuppression.objects.exists()
        self.actor = _actor(job)


def _counts(job: Import) -> dict:
    return {"created": job.created, "updated": job.updated, "unchanged": job.unchanged,
            "bad": job.bad, "lines": job.lines_done}


def _batch_commit(job: Import, plan, batch, context: _Context) -> None:
    records, problems = [], []
    skipped = 0
    topics = set(context.topic_ids)
    for row in batch:
        if row.values is None:
            problems.append((row.line, ImportProblem.Reason.UNREADABLE))
            continue
        try:
            if job.kind == Import.Kind.SUBJECTS:
                records.append(subject_parse(plan, row.line, row.values, topics))
            else:
                record = suppression_parse(plan, row.line, row.values)
                if record is None:
                    skipped += 1
                else:
                    records.append(record)
        except Problem as problem:
            problems.append((row.line, problem.reason))
    now = timezone.now()
    with transaction.atomic():
        locked = Import.objects.select_for_update().get(pk=job.pk)
        if locked.lines_done != job.lines_done:
            raise ImportMoved
        if job.kind == Import.Kind.SUBJECTS:
            written = bulk.subjects_write(records, topic_ids=context.topic_ids, now=now,
                                           listened=context.listened)
            if context.match_digests and written.new_emails:
                bulk.suppressions_by_digest_write(bulk.digest_matches(written.new_emails),
                                                  now, written)
        else:
            written = bulk.suppressions_write(records, now=now)
        problems += written.problems
        if problems:
            ImportProblem.objects.bulk_create(
                [ImportProblem(job=job, line=line, reason=reason) for line, reason in problems])
        if context.listened and written.changes:
            _tell_destinations(written.changes, context)
        job.created += written.created
        job.updated += written.updated
        job.unchanged += written.unchanged + skipped
        job.bad += len(problems)
        job.lines_done, job.bytes_done, job.beat_at = batch[-1].last, batch[-1].end, now
        job.save(update_fields=["created", "updated", "unchanged", "bad", "lines_done",
                                "bytes_done", "beat_at"])
        audit.record(actor=context.actor, action="import.batch", target=job,
                     details={"created": written.created, "updated": written.updated,
                              "unchanged": written.unchanged + skipped,
                              "bad": len(problems), "lines": job.lines_done})


def _tell_destinations(changes, context: _Context) -> None:
    items = []
    for sid, public_id, external_id, topic_id, event_type, data in changes:
        subject = Subject(pk=sid, public_id=public_id, external_id=external_id)
        items.append((subject, event_type, context.topic_by_id.get(topic_id), data))
    outbox_write_many(items)


def digest_suppressions_match(*, actor, subject_ids: list[int] | None = None) -> int:
    """Suppress, by address, the subjects whose address the digest list holds by an
    email provider's hash; returns how many were. Reads every subject's address
    (decrypting it) when `subject_ids` is None: run after importing hashes."""
    subjects = Subject.objects.filter(email__isnull=False)
    if subject_ids is not None:
        subjects = subjects.filter(pk__in=subject_ids)
    matched = 0
    page = []
    for pair in subjects.values_list("id", "email").iterator(chunk_size=MATCH_PAGE):
        page.append(pair)
        if len(page) >= MATCH_PAGE:
            matched += _match_page(page, actor)
            page = []
    if page:
        matched += _match_page(page, actor)
    return matched


def _match_page(page, actor) -> int:
    pairs = bulk.digest_matches(page)
    if not pairs:
        return 0
    with transaction.atomic():
        written = bulk.Written()
        bulk.suppressions_by_digest_write(pairs, timezone.now(), written)
        if written.changes and Destination.objects.filter(enabled=True).exists():
            topics = {t.pk: t for t in Topic.objects.all()}
            outbox_write_many([(Subject(pk=c[0], public_id=c[1], external_id=c[2]), c[4],
                                topics.get(c[3]), c[5]) for c in written.changes])
        if written.changes:
            audit.record(actor=actor, action="suppression.digests_matched",
                         details={"subjects": len(written.changes)})
    return len(written.changes)


def _upload_dir() -> Path:
    return Path(settings.HUSH_IMPORT_DIR)


def _upload_delete(job: Import) -> None:
    """An uploaded file holds addresses in the clear: it goes once it is imported.
    (A file given to `manage.py import` is the operator's, and stays.)"""
    path = Path(job.file_path)
    if path.parent == _upload_dir() and path.name.endswith(".upload"):
        path.unlink(missing_ok=True)


def import_upload(*, kind: str, upload, actor, preset: str = "", mapping: dict | None = None,
                  topic_slug: str = "") -> Import:
    """Store an uploaded file (privately, until imported), open its import and queue it
    (`preferences.import_run`). Raises PlanError, keeping nothing, for a file that
    cannot be imported."""
    if upload.size > settings.HUSH_IMPORT_MAX_BYTES:
        raise PlanError(f"the file is larger than {settings.HUSH_IMPORT_MAX_BYTES} bytes")
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{uuid.uuid4()}.upload"
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        job, _ = import_open(kind=kind, path=str(path), actor=actor, preset=preset,
                                   mapping=mapping, topic_slug=topic_slug,
                                   file_name=Path(upload.name or "").name)
    except PlanError:
        path.unlink(missing_ok=True)
        raise
    task_send_on_commit("preferences.import_run", import_id=job.pk)
    return job


def imports_sweep() -> int:
    """Queue again the imports that stopped: waiting, or running with no batch
    committed for HUSH_IMPORT_STALE_AFTER seconds (a killed worker, a lost message)."""
    stale = timezone.now() - timedelta(seconds=settings.HUSH_IMPORT_STALE_AFTER)
    ids = list(Import.objects.filter(
        status__in=[Import.Status.QUEUED, Import.Status.RUNNING], created_at__lt=stale,
    ).exclude(beat_at__gte=stale).values_list("pk", flat=True))
    for import_id in ids:
        task_send_on_commit("preferences.import_run", import_id=import_id)
    return len(ids)
