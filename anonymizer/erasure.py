"""Erasure: a subject's request carried out, one step per place, and verified.

    request pending --plan--> running --every step done--> verify --> done
                                 |  a step out of attempts --> failed (staff retry)
    step pending --claim--> running --ok--> done
                                |--error, attempts left--> pending (backoff + jitter)
                                '--error, out of attempts--> failed

Steps run phase by phase: first the destinations (each is told `subject.erased`
through the outbox and the step is done once that delivery is) and every catalog
entry but two; then the outbox itself (which carries those events until they are
sent); the subject row last, so the email, which include-email destinations get
at send time, leaves only when nothing needs it. Each step runs in its own
transaction with its result, so a step that committed is done, and one whose
worker died left nothing behind: running it again changes nothing more.

Nothing personal is logged, audited or kept in a step: only entry keys, field
names, counts and times. What verification looks for that the database will no
longer hold (the email) is kept encrypted on the request until then.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone

import audit
from anonymizer import catalog
from anonymizer.models import ErasureRequest, ErasureStep
from preferences.crypto import email_digest, normalise_email
from preferences.models import Delivery, Destination, EventType, Subject, Suppression

Status = ErasureStep.Status
RequestStatus = ErasureRequest.Status

PHASE_FIRST, PHASE_OUTBOX, PHASE_SUBJECT = 1, 2, 3
DESTINATION = "destination:"
SUBJECT_ENTRY = "preferences.subject"
OUTBOX_ENTRY = "preferences.delivery"
BATCH = 2000


class NotFound(Exception):
    """No subject has that public id."""


class StepError(Exception):
    """A step failed for a reason we can name without personal data."""

    def __init__(self, message: str, *, final: bool = False):
        super().__init__(message)
        self.final = final  # no point retrying (a dead-letter delivery: staff retry it)


# --- asking -------------------------------------------------------------------------

def _requested_by(actor) -> tuple[str, str]:
    from audit.services import _actor

    return _actor(actor)


def _phantom_id(kind: str, value: str) -> uuid.UUID:
    """A stable opaque id for an address or external id Hush does not know, so asking
    twice answers like asking twice for a known one (the same open request)."""
    mac = hmac.new(settings.HUSH_DIGEST_KEY.encode(), f"erasure:{kind}:{value}".encode(),
                   hashlib.sha256).digest()
    return uuid.UUID(bytes=mac[:16], version=4)


def erasure_open(*, public_id: uuid.UUID, source: str, actor,
                 identifiers: dict | None = None, per_requester: bool = False
                 ) -> ErasureRequest:
    """Record the request (idempotent while one is open) and queue it after commit.

    `per_requester`: only a request this same requester opened counts, so the
    answer never shows that someone else (the subject, staff) asked already.
    """
    by_type, by_id = _requested_by(actor)
    with transaction.atomic():
        open_requests = ErasureRequest.objects.select_for_update().filter(
            subject_public_id=public_id,
            status__in=[RequestStatus.PENDING, RequestStatus.RUNNING],
        )
        if per_requester:
            open_requests = open_requests.filter(requested_by_type=by_type,
                                                 requested_by_id=by_id)
        open_request = open_requests.first()
        if open_request:
            return open_request
        request = ErasureRequest.objects.create(
            subject_public_id=public_id, source=source, requested_by_type=by_type,
            requested_by_id=by_id,
            identifiers=json.dumps(identifiers) if identifiers else None)
        audit.record(actor=actor, action="erasure.requested", target=request,
                     details={"subject": str(public_id), "source": source})
        transaction.on_commit(lambda: _queue_run(request.pk))
    return request


def erasure_request_for(*, actor, source: str, public_id: uuid.UUID | None = None,
                        email: str | None = None, external_id: str | None = None
                        ) -> ErasureRequest:
    """A request named by public id, email or external id, for the API and staff.

    An email or external id Hush does not know still gets a request (under an
    opaque id of its own): it runs like any other, finds nothing, and its digest
    joins the suppression list, so the answer never tells whether it was known.
    Only the requester's own open request is reused, for the same reason. An
    unknown public id is NotFound: ids are opaque and tell nothing.
    """
    if sum(x is not None for x in (public_id, email, external_id)) != 1:
        raise ValueError("name the subject by exactly one of public_id, email, external_id")
    common = {"source": source, "actor": actor, "per_requester": True}
    if public_id is not None:
        subject = Subject.objects.filter(public_id=public_id).first()
        if subject is None:
            raise NotFound
        return erasure_open(public_id=subject.public_id, **common)
    if email is not None:
        email = normalise_email(email)
        subject = Subject.objects.filter(email_digest=email_digest(email)).first()
        if subject is not None:
            return erasure_open(public_id=subject.public_id, **common)
        return erasure_open(public_id=_phantom_id("email", email),
                            identifiers={"email": email}, **common)
    subject = Subject.objects.filter(external_id=external_id).first()
    if subject is not None:
        return erasure_open(public_id=subject.public_id, **common)
    return erasure_open(public_id=_phantom_id("external_id", external_id),
                        identifiers={"external_id": external_id}, **common)


def _queue_run(request_id: int) -> None:
    from anonymizer.tasks import erasure_run

    erasure_run.delay(request_id)


def _queue_step(step_id: int) -> None:
    from anonymizer.tasks import erasure_step

    erasure_step.delay(step_id)


# --- planning -------------------------------------------------------------------------

def identifiers_of(request: ErasureRequest) -> dict:
    """What names the subject: from the subject row, or what the request was given."""
    known = json.loads(request.identifiers) if request.identifiers else {}
    ids = {"public_id": str(request.subject_public_id)}
    subject = Subject.objects.filter(public_id=request.subject_public_id).first()
    if subject is not None:
        ids.update(email=subject.email, email_digest=subject.email_digest,
                   external_id=subject.external_id)
    for name, value in known.items():
        if not ids.get(name):
            ids[name] = value
    if ids.get("email") and not ids.get("email_digest"):
        ids["email_digest"] = email_digest(ids["email"])
    return {name: value for name, value in ids.items() if value}


def _phase(entry) -> int:
    if entry.key == SUBJECT_ENTRY:
        return PHASE_SUBJECT
    if entry.key == OUTBOX_ENTRY:
        return PHASE_OUTBOX
    return PHASE_FIRST


def _erasable(entry) -> bool:
    return entry.subject is not None and (
        entry.erase_rows or any(f.erase is not None for f in entry.fields))


def erasure_targets() -> list[tuple[str, int]]:
    """(target, phase) of every catalog entry erasure has something to do in; the
    subject row always, even before the catalog names it."""
    targets = {e.key: _phase(e) for e in catalog.entries() if _erasable(e)}
    targets.setdefault(SUBJECT_ENTRY, PHASE_SUBJECT)
    return sorted(targets.items(), key=lambda item: (item[1], item[0]))


def erasure_plan(*, request_id: int) -> bool:
    """Turn a pending request into its steps; False if it was planned already.

    One transaction: the steps, the identifiers kept (encrypted) for verification,
    and for a known subject the `subject.erased` outbox rows, one per destination
    that wants it. A destination gets its step even for an unknown address, with
    nothing to send, so the steps look the same either way.
    """
    from preferences.outbox import outbox_write

    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status != RequestStatus.PENDING:
            return False
        ids = identifiers_of(request)
        subject = Subject.objects.filter(public_id=request.subject_public_id).first()
        destinations = [d for d in Destination.objects.filter(enabled=True).order_by("pk")
                        if d.wants(EventType.SUBJECT_ERASED)]
        deliveries = {}
        if subject is not None and destinations:
            written = outbox_write(subject=subject, event_type=EventType.SUBJECT_ERASED)
            deliveries = {d.destination_id: d.pk for d in written}
        steps = [ErasureStep(request=request, target=f"{DESTINATION}{d.pk}", phase=PHASE_FIRST,
                             delivery_id=deliveries.get(d.pk)) for d in destinations]
        steps += [ErasureStep(request=request, target=target, phase=phase)
                  for target, phase in erasure_targets()]
        ErasureStep.objects.bulk_create(steps)
        request.status, request.started_at = RequestStatus.RUNNING, timezone.now()
        request.identifiers = json.dumps({k: v for k, v in ids.items() if k != "public_id"})
        request.save(update_fields=["status", "started_at", "identifiers"])
        audit.record(actor=audit.SYSTEM, action="erasure.started", target=request,
                     details={"subject": str(request.subject_public_id), "steps": len(steps),
                              "destinations": len(destinations)})
    return True


# --- running ---------------------------------------------------------------------------

def erasure_run(*, request_id: int) -> str:
    """What the `erasure_run` task does: plan if needed, then move the request on."""
    erasure_plan(request_id=request_id)
    return erasure_advance(request_id=request_id)


def _blocked():
    """An unfinished step of the same request in an earlier phase."""
    return ErasureStep.objects.filter(request_id=OuterRef("request_id"),
                                      phase__lt=OuterRef("phase")).exclude(status=Status.DONE)


def erasure_advance(*, request_id: int) -> str:
    """Queue the steps that may run now, or verify and close a request whose steps
    are all done. Safe to call any number of times from anywhere."""
    request = ErasureRequest.objects.get(pk=request_id)
    if request.status in (RequestStatus.PENDING, RequestStatus.DONE):
        return request.status
    steps = ErasureStep.objects.filter(request_id=request_id)
    if not steps.exclude(status=Status.DONE).exists():
        return _finish(request_id=request_id)
    now = timezone.now()
    runnable = list(steps.filter(status=Status.PENDING, next_attempt_at__lte=now,
                                 queued_at__isnull=True)
                    .filter(~Exists(_blocked())).values_list("pk", flat=True))
    for step_id in runnable:
        # One conditional UPDATE per step: two callers never both queue it.
        if ErasureStep.objects.filter(pk=step_id, queued_at__isnull=True).update(queued_at=now):
            transaction.on_commit(lambda step_id=step_id: _queue_step(step_id))
    if steps.filter(status=Status.FAILED).exists():
        ErasureRequest.objects.filter(pk=request_id, status=RequestStatus.RUNNING).update(
            status=RequestStatus.FAILED)
        return RequestStatus.FAILED
    return RequestStatus.RUNNING


def _backoff(attempts: int) -> float:
    """Exponential with jitter (half fixed, half random)."""
    ceiling = min(settings.HUSH_ERASURE_BACKOFF_CAP,
                  settings.HUSH_ERASURE_BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrecy


def _claim(step_id: int) -> ErasureStep | None:
    now = timezone.now()
    claimed = (ErasureStep.objects
               .filter(pk=step_id, status=Status.PENDING, next_attempt_at__lte=now)
               .filter(~Exists(_blocked()))
               .update(status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now,
                       lease_until=now + timedelta(seconds=settings.HUSH_ERASURE_LEASE)))
    if not claimed:
        return None
    return ErasureStep.objects.select_related("request").get(pk=step_id)


class _Waiting(Exception):
    """A destination's event is not delivered yet: look again later, not a failure."""


def erasure_step_run(*, step_id: int) -> str:
    """Claim the step, do it in one transaction with its result, move the request on.

    Returns the step's new status, or "skipped" when it was not ours to run (done,
    running elsewhere, not due, or waiting for an earlier phase).
    """
    step = _claim(step_id)
    if step is None:
        return "skipped"
    mine = ErasureStep.objects.filter(pk=step.pk, status=Status.RUNNING, attempts=step.attempts)
    try:
        with transaction.atomic():
            rows, fields = _erase(step)
            if not mine.update(status=Status.DONE, rows_affected=rows, fields_changed=fields,
                               finished_at=timezone.now(), lease_until=None, last_error=""):
                raise _LostClaim
        outcome = Status.DONE
    except _LostClaim:
        return "lost-claim"
    except _Waiting:
        mine.update(status=Status.PENDING, attempts=F("attempts") - 1, lease_until=None,
                    queued_at=None, next_attempt_at=timezone.now()
                    + timedelta(seconds=settings.HUSH_ERASURE_POLL))
        return "waiting"
    except Exception as exc:  # recorded (without personal data) and retried
        outcome = _record_failure(step, exc, mine)
    transaction.on_commit(lambda: erasure_advance(request_id=step.request_id))
    return outcome


class _LostClaim(Exception):
    """The lease ran out and another worker took the step: roll back, it is theirs."""


def _error_text(exc: Exception) -> str:
    # Our own messages are written without personal data; anyone else's (a driver
    # error can quote a row) is named by its type only.
    if isinstance(exc, StepError):
        return str(exc)[:300]
    return type(exc).__name__


def _record_failure(step: ErasureStep, exc: Exception, mine) -> str:
    now = timezone.now()
    error = _error_text(exc)
    final = getattr(exc, "final", False) or step.attempts >= settings.HUSH_ERASURE_MAX_ATTEMPTS
    with transaction.atomic():
        if final:
            updated = mine.update(status=Status.FAILED, lease_until=None, last_error=error,
                                  finished_at=now)
            if updated:
                audit.record(actor=audit.SYSTEM, action="erasure.step_failed",
                             target=step.request,
                             details={"step": step.target, "attempts": step.attempts,
                                      "error": error[:100]})
            return Status.FAILED if updated else "lost-claim"
        delay = _backoff(step.attempts)
        updated = mine.update(status=Status.PENDING, lease_until=None, last_error=error,
                              queued_at=None, next_attempt_at=now + timedelta(seconds=delay))
    return Status.PENDING if updated else "lost-claim"


# --- what a step does ------------------------------------------------------------------

def _erase(step: ErasureStep) -> tuple[int, list[str]]:
    ids = identifiers_of(step.request)
    if step.target.startswith(DESTINATION):
        return _destination_step(step)
    if step.target == SUBJECT_ENTRY:
        return _subject_step(step.request, ids)
    try:
        entry = catalog.entry(step.target)
    except KeyError:
        raise StepError(f"{step.target} is no longer in the catalog", final=True) from None
    return _erase_entry(entry, ids)


def _erase_entry(entry, ids: dict) -> tuple[int, list[str]]:
    """Erase one catalog entry's rows for the subject: (rows changed, fields changed)."""
    value = ids.get(entry.subject_by)
    if value is None:
        return 0, []  # the subject has no such identifier: nothing here can be theirs
    if entry.external:
        return _erase_external(entry, value)
    rows = entry.model._base_manager.filter(**{entry.subject: value})
    erased = [f for f in entry.fields if f.erase is not None]
    if entry.erase_rows or any(f.erase == "delete" for f in erased):
        _, per_model = rows.delete()
        return per_model.get(entry.model._meta.label, 0), []
    return _transform_rows(entry.model, rows, erased)


SET_BASED = ("null", "redact")


def _constant(pii_field, model_field):
    """What `null` or `redact` stores in this column. `null`: NULL where the column
    allows it, else the empty value; `redact`: the kind's label, whatever the value."""
    if pii_field.erase == "redact":
        from anonymizer.policies import field_apply

        return field_apply("redact", "", kind=pii_field.kind)
    if model_field.null:
        return None
    if isinstance(model_field, models.JSONField):
        return {}
    return ""


def _transform_rows(model, rows, erased) -> tuple[int, list[str]]:
    if all(f.erase in SET_BASED for f in erased):
        return _set_rows(model, rows, erased)
    changed_rows: set = set()
    changed_fields: list[str] = []
    # `null` and `redact` give one value whatever the input: one UPDATE per field,
    # in the database, on the rows not holding it yet (so running again changes nothing).
    for pii_field in [f for f in erased if f.erase in SET_BASED]:
        name = pii_field.name
        target = _constant(pii_field, model._meta.get_field(name))
        holding = rows.filter(**{f"{name}__isnull": False})
        if target is not None:
            holding = holding.exclude(**{name: target})
        pks = list(holding.values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            model._base_manager.filter(pk__in=pks[start:start + BATCH]).update(**{name: target})
        if pks:
            changed_rows.update(pks)
            changed_fields.append(name)
    # Any other transform runs in Python, in batches; a value already transformed
    # is left alone, so running again changes nothing more.
    others = [f for f in erased if f.erase not in SET_BASED]
    touched: set[str] = set()
    for batch in _batches(rows.order_by("pk").values_list("pk", *[f.name for f in others])
                          if others else None):
        updates: dict[str, list] = {}
        for pk, *values in batch:
            for pii_field, value in zip(others, values, strict=True):
                if value is None:
                    continue
                result = _apply(pii_field, value)
                if result != value:
                    updates.setdefault(pii_field.name, []).append(
                        model(pk=pk, **{pii_field.name: result}))
                    changed_rows.add(pk)
        for name, objects in updates.items():
            model._base_manager.bulk_update(objects, [name], batch_size=500)
            touched.add(name)
    changed_fields += [f.name for f in others if f.name in touched]
    return len(changed_rows), changed_fields


def _set_rows(model, rows, erased) -> tuple[int, list[str]]:
    """Only `null` and `redact` (one value whatever the input): one read of the
    subject's rows (the lookup may be a scan), then UPDATEs by primary key of the
    rows where some field still holds something else."""
    targets = {f.name: _constant(f, model._meta.get_field(f.name)) for f in erased}
    if not targets:
        return 0, []
    names = list(targets)
    # Whether each field still differs, worked out by the database (no value leaves it).
    differs = {}
    for i, (name, target) in enumerate(targets.items()):
        condition = Q(**{f"{name}__isnull": False})
        if target is not None:
            condition &= ~Q(**{name: target})
        differs[f"_differs{i}"] = ExpressionWrapper(condition, output_field=models.BooleanField())
    changed_pks, fields = [], set()
    for pk, *flags in rows.annotate(**differs).values_list("pk", *differs).iterator(
            chunk_size=BATCH):
        differing = [name for name, flag in zip(names, flags, strict=True) if flag]
        if differing:
            changed_pks.append(pk)
            fields.update(differing)
    fields = [name for name in names if name in fields]
    for start in range(0, len(changed_pks), BATCH):
        model._base_manager.filter(pk__in=changed_pks[start:start + BATCH]).update(
            **{name: targets[name] for name in fields})
    return len(changed_pks), fields


def _batches(values_list):
    if values_list is None:
        return
    batch = []
    for row in values_list.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# What the transforms that are not idempotent produce, so a value they already
# produced is recognised and left alone.
_OUTPUT_PREFIX = {"pseudonymise": "pseu_", "tokenize": "tok_"}


def _apply(pii_field, value):
    from anonymizer.core.transforms import DELETE
    from anonymizer.policies import field_apply

    options = {"level": pii_field.level} if getattr(pii_field, "level", None) else {}
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text.startswith(_OUTPUT_PREFIX.get(pii_field.erase, "\0")) or \
            text.endswith("@pseudonym.invalid"):
        return value  # a pseudonym or token already: transforming it again would change it
    result = field_apply(pii_field.erase, text, kind=pii_field.kind, **options)
    if result is DELETE:
        raise StepError(f"field {pii_field.name}: use erase_rows to delete rows", final=True)
    if result == text:
        return value  # already transformed: running again changes nothing
    return result


def _erase_external(entry, value) -> tuple[int, list[str]]:
    from anonymizer.external import external_erase

    erased = [f for f in entry.fields if f.erase is not None]
    if not entry.erase_rows and erased and all(f.erase in SET_BASED for f in erased):
        return _set_external(entry, value, erased)
    rows = external_erase(entry, value)
    fields = [] if entry.erase_rows else [f.name for f in erased]
    return rows, fields if rows else []


def _set_external(entry, value, erased) -> tuple[int, list[str]]:
    """Only `null` and `redact`: one UPDATE of the subject's rows in the company's
    database, where any column still holds something else."""
    from psycopg import sql

    from anonymizer.external import external_connection, subject_where, table_sql

    targets = {f.name: _constant(f, _NULLABLE) for f in erased}
    where, params = subject_where(entry, value)
    differs = sql.SQL(" OR ").join(
        sql.SQL("{} IS DISTINCT FROM %s").format(sql.Identifier(name)) for name in targets)
    query = sql.SQL("UPDATE {} SET {} WHERE {} AND ({})").format(
        table_sql(entry),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in targets),
        where, differs)
    with external_connection(entry.database) as conn, conn.cursor() as cursor:
        cursor.execute(query, [*targets.values(), *params, *targets.values()])
        changed = cursor.rowcount
    return changed, list(targets) if changed else []


class _Nullable:
    null = True


_NULLABLE = _Nullable()  # an external column: `null` stores NULL


def _destination_step(step: ErasureStep) -> tuple[int, list[str]]:
    """Done once the destination has the `subject.erased` event; the delivery itself
    retries with backoff, and a dead letter fails the step for staff to retry."""
    if step.delivery_id is None:
        return 0, []  # nothing to send: a subject Hush did not know
    delivery = Delivery.objects.filter(pk=step.delivery_id).values("status").first()
    if delivery is None:
        return 0, []  # the destination was removed, and its deliveries with it
    if delivery["status"] == Delivery.Status.DELIVERED:
        return 1, []
    if delivery["status"] == Delivery.Status.FAILED:
        raise StepError("the subject.erased delivery failed (a dead letter)", final=True)
    raise _Waiting


def _subject_step(request: ErasureRequest, ids: dict) -> tuple[int, list[str]]:
    """Last: the subject row keeps only its opaque id; its digest joins the
    suppression list, so the address is never mailed again."""
    rows = Subject.objects.filter(public_id=request.subject_public_id)
    subject = rows.select_for_update().first()
    # The digest known at plan time, and the current one should the address have
    # changed meanwhile.
    for digest in {ids.get("email_digest"), subject and subject.email_digest} - {None}:
        Suppression.objects.update_or_create(email_digest=digest,
                                             defaults={"reason": Suppression.Reason.ERASED})
    if subject is None:
        return 0, []
    try:
        entry = catalog.entry(SUBJECT_ENTRY)
        erased = [f for f in entry.fields if f.erase is not None]
    except KeyError:
        erased = []
    # Whatever the catalog says, these leave: they are the way back to the person.
    names = {f.name for f in erased}
    erased += [catalog.PiiField(name, catalog.Category.IDENTIFIER, erase="null")
               for name in ("email", "email_digest", "external_id") if name not in names]
    changed, fields = _transform_rows(Subject, rows, erased)
    if not subject.unsubscribed_all:  # an erased subject may be sent nothing, by id either
        rows.update(unsubscribed_all=True)
        changed, fields = 1, [*fields, "unsubscribed_all"]
    # Set-based writes send no signal: tell the capture path's cache on commit, so
    # the next event for this subject is decided on the erased state.
    from preferences import consent_cache

    consent_cache.forget_subject(subject.pk)
    return changed, fields


# --- verification ------------------------------------------------------------------------

_TEXT = (models.CharField, models.TextField)


def _patterns(ids: dict) -> dict[str, list[str]]:
    """Substrings each identifier is searched as. A short external id is matched
    whole (quoted in JSON): as a substring it would match any text."""
    patterns = {}
    for name in ("email", "email_digest", "public_id"):
        if ids.get(name):
            patterns[name] = [ids[name]]
    if ids.get("public_id"):
        patterns["public_id"].append(uuid.UUID(ids["public_id"]).hex)
    if ids.get("external_id"):
        value = ids["external_id"]
        patterns["external_id"] = [value] if len(value) >= 6 else [f'"{value}"']
    return patterns


def erasure_verify(*, request: ErasureRequest, ids: dict | None = None) -> dict:
    """Look for the subject's identifiers (`ids`, or the request's) in every
    catalogued field, Hush's and external; returns where any was found (entry,
    field, identifier kind, rows), never the values."""
    ids = ids or identifiers_of(request)
    patterns = _patterns(ids)
    found, places = [], 0
    for entry in catalog.entries():
        if entry.external:
            hits, checked = _verify_external(entry, ids, patterns)
        else:
            hits, checked = _verify_model(entry, ids, patterns)
        places += checked
        found += hits
    return {"clean": not found, "places": places, "found": found,
            "identifiers": sorted(patterns)}


def _model_field(model, name):
    from django.core.exceptions import FieldDoesNotExist

    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a catalog naming a missing field is pii_audit's finding
        return None


def _encrypted(model_field) -> bool:
    from preferences.fields import EncryptedTextField

    return isinstance(model_field, EncryptedTextField)


def _kept_link(entry, pii_field) -> bool:
    """A field kept on purpose that is itself how the entry names the subject (the
    suppression list's digest): holding the identifier is its job."""
    return pii_field.erase is None and pii_field.name == entry.subject


def _verify_model(entry, ids, patterns) -> tuple[list[dict], int]:
    """One scan of the table: a count per (field, identifier); then the subject's
    own rows, for encrypted fields (ciphertext cannot be searched) and for rows
    that should have been deleted."""
    model = entry.model
    annotations, aggregates, labels = {}, {}, []
    checked = 0
    for pii_field in entry.fields:
        model_field = _model_field(model, pii_field.name)
        if model_field is None or _kept_link(entry, pii_field):
            continue
        checked += 1
        name = pii_field.name
        if _encrypted(model_field):
            continue
        if isinstance(model_field, models.JSONField):
            target = f"_text_{name}"
            annotations[target] = Cast(name, models.TextField())
        elif isinstance(model_field, _TEXT):
            target = name
        elif isinstance(model_field, models.UUIDField) and "public_id" in ids:
            labels.append((name, "public_id"))
            aggregates[f"c{len(labels)}"] = models.Count(
                "pk", filter=Q(**{name: ids["public_id"]}))
            continue
        else:
            continue
        for kind, values in patterns.items():
            condition = Q()
            for value in values:
                condition |= Q(**{f"{target}__icontains": value})
            if kind == "external_id" and target == name and len(ids["external_id"]) < 6:
                condition = Q(**{name: ids["external_id"]})
            labels.append((name, kind))
            aggregates[f"c{len(labels)}"] = models.Count("pk", filter=condition)
    hits = []
    if aggregates and connection.vendor == "postgresql":
        hits += _scan_model(entry, ids, patterns)
    elif aggregates:
        counts = model._base_manager.annotate(**annotations).aggregate(**aggregates)
        hits += [{"entry": entry.key, "field": name, "identifier": kind,
                  "rows": counts[f"c{i}"]}
                 for i, (name, kind) in enumerate(labels, start=1) if counts[f"c{i}"]]
    value = ids.get(entry.subject_by) if entry.subject else None
    if value is None or not _erasable(entry):
        return hits, checked
    rows = model._base_manager.filter(**{entry.subject: value})
    if entry.erase_rows:
        count = rows.count()
        if count:
            hits.append({"entry": entry.key, "field": "", "identifier": entry.subject_by,
                         "rows": count})
        return hits, checked
    wanted = [str(v).lower() for v in ids.values()]
    for pii_field in entry.fields:
        if not _encrypted(_model_field(model, pii_field.name)):
            continue
        count = sum(1 for v in rows.values_list(pii_field.name, flat=True)
                    if v and any(w in v.lower() for w in wanted))
        if count:
            hits.append({"entry": entry.key, "field": pii_field.name,
                         "identifier": "value", "rows": count})
    return hits, checked


def _scan_query(table, columns: list[tuple[str, bool]], patterns: dict, ids: dict):
    """One pass over a table (PostgreSQL): per (column, identifier) the rows whose
    text holds it. Each column is cast and lowercased once per row (the OFFSET 0
    keeps PostgreSQL from doing it again per test), then searched with strpos.

    `columns` are (column, is_json); returns (query, params, labels)."""
    from psycopg import sql

    inner = sql.SQL(", ").join(
        sql.SQL("lower({}::text) AS {}").format(sql.Identifier(column), sql.Identifier(f"c{i}"))
        for i, (column, _) in enumerate(columns))
    parts, params, labels = [], [], []
    short_external = ids.get("external_id") and len(ids["external_id"]) < 6
    for i, (column, is_json) in enumerate(columns):
        alias = sql.Identifier(f"c{i}")
        for kind, values in patterns.items():
            if kind == "external_id" and short_external and not is_json:
                condition = sql.SQL("{} = %s").format(alias)
                params.append(ids["external_id"].lower())
            else:
                condition = sql.SQL(" OR ").join(
                    sql.SQL("strpos({}, %s) > 0").format(alias) for _ in values)
                params += [v.lower() for v in values]
            parts.append(sql.SQL("count(*) FILTER (WHERE {})").format(condition))
            labels.append((column, kind))
    query = sql.SQL("SELECT {} FROM (SELECT {} FROM {} OFFSET 0) AS scanned").format(
        sql.SQL(", ").join(parts), inner, table)
    return query, params, labels


def _scan_model(entry, ids, patterns) -> list[dict]:
    """`_verify_model`'s table scan in one SQL statement, on PostgreSQL."""
    from psycopg import sql

    model = entry.model
    columns, names = [], {}
    for pii_field in entry.fields:
        model_field = _model_field(model, pii_field.name)
        if model_field is None or _kept_link(entry, pii_field) or _encrypted(model_field):
            continue
        if isinstance(model_field, (*_TEXT, models.JSONField, models.UUIDField)):
            columns.append((model_field.column, isinstance(model_field, models.JSONField)))
            names[model_field.column] = pii_field.name
    query, params, labels = _scan_query(sql.Identifier(model._meta.db_table), columns,
                                        patterns, ids)
    with connection.cursor() as cursor:
        cursor.execute(query.as_string(cursor.connection), params)
        counts = cursor.fetchone()
    return [{"entry": entry.key, "field": names[column], "identifier": kind, "rows": n}
            for (column, kind), n in zip(labels, counts, strict=True) if n]


def _verify_external(entry, ids, patterns) -> tuple[list[dict], int]:
    from anonymizer.external import external_connection, external_count, table_sql

    if not entry.fields or not patterns:
        return [], 0
    columns = [(f.name, False) for f in entry.fields]
    query, params, labels = _scan_query(table_sql(entry), columns, patterns, ids)
    with external_connection(entry.database) as conn, conn.cursor() as cursor:
        cursor.execute(query, params)
        counts = cursor.fetchone()
        hits = [{"entry": entry.key, "field": name, "identifier": kind, "rows": n}
                for (name, kind), n in zip(labels, counts, strict=True) if n]
        value = ids.get(entry.subject_by)
        if entry.erase_rows and value is not None:
            count = external_count(entry, value, conn=conn)
            if count:
                hits.append({"entry": entry.key, "field": "", "identifier": entry.subject_by,
                             "rows": count})
    return hits, len(entry.fields)


def _finish(*, request_id: int) -> str:
    """Every step is done: verify, record the result, destroy the kept identifiers."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status == RequestStatus.DONE:
            return request.status
        steps = ErasureStep.objects.filter(request_id=request_id)
        if steps.exclude(status=Status.DONE).exists():
            return request.status
        # The kept identifiers leave the request first; verification uses them from
        # memory (and so does not find them on the request itself).
        ids = identifiers_of(request)
        request.identifiers = None
        request.save(update_fields=["identifiers"])
        result = erasure_verify(request=request, ids=ids)
        now = timezone.now()
        request.verification = {**result, "checked_at": now.isoformat()}
        request.verified_at = request.finished_at = now
        request.status = RequestStatus.DONE if result["clean"] else RequestStatus.FAILED
        request.save(update_fields=["verification", "verified_at", "finished_at", "status"])
        totals = steps.aggregate(rows=models.Sum("rows_affected"), steps=models.Count("pk"))
        audit.record(actor=audit.SYSTEM, action="erasure.completed", target=request,
                     details={"subject": str(request.subject_public_id),
                              "steps": totals["steps"], "rows": totals["rows"] or 0,
                              "verified": result["clean"], "found": len(result["found"])})
    return request.status


# --- staff and the sweeper ---------------------------------------------------------------

def erasure_step_retry(*, request_id: int, actor) -> int:
    """Put a request's failed steps back to pending (a dead-letter delivery is
    retried too); a request whose verification found something runs every step
    again. Returns how many steps were put back."""
    from preferences.delivery import deliveries_retry

    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status != RequestStatus.FAILED:
            return 0
        steps = ErasureStep.objects.filter(request=request)
        failed = steps.filter(status=Status.FAILED)
        if not failed.exists():  # verification found something: run it all again
            failed = steps
        retried = list(failed.values_list("pk", flat=True))
        deliveries = list(failed.filter(delivery_id__isnull=False)
                          .values_list("delivery_id", flat=True))
        ErasureStep.objects.filter(pk__in=retried).update(
            status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), queued_at=None,
            lease_until=None, finished_at=None)
        request.status, request.finished_at = RequestStatus.RUNNING, None
        request.save(update_fields=["status", "finished_at"])
        if deliveries:
            deliveries_retry(ids=deliveries, actor=actor)
        audit.record(actor=actor, action="erasure.retried", target=request,
                     details={"steps": len(retried)})
        transaction.on_commit(lambda: _queue_run(request.pk))
    return len(retried)


def erasure_sweep(*, limit: int = 500) -> dict:
    """Re-queue what a lost message or a killed worker left behind: expired leases,
    retries now due, and requests never planned or never closed. Runs from beat."""
    now = timezone.now()
    expired = ErasureStep.objects.filter(status=Status.RUNNING, lease_until__lt=now).update(
        status=Status.PENDING, lease_until=None, queued_at=None)
    stale = now - timedelta(seconds=settings.HUSH_ERASURE_REQUEUE_AFTER)
    due = list(
        ErasureStep.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale))
        .filter(~Exists(_blocked())).order_by("pk").values_list("pk", flat=True)[:limit])
    if due:
        ErasureStep.objects.filter(pk__in=due).update(queued_at=now)
        for step_id in due:
            _queue_step(step_id)
    # Never planned (the message lost), or every step done but never closed.
    open_steps = ErasureStep.objects.filter(request_id=OuterRef("pk")).exclude(
        status=Status.DONE)
    requests = list(
        ErasureRequest.objects.filter(
            Q(status=RequestStatus.PENDING, requested_at__lt=stale)
            | Q(~Exists(open_steps), status=RequestStatus.RUNNING, started_at__lt=stale))
        .order_by("pk").values_list("pk", flat=True)[:limit])
    for request_id in requests:
        _queue_run(request_id)
    return {"expired_leases": expired, "requeued_steps": len(due), "requests": len(requests)}
