"""Writes to the audit trail: append (`audit_record`) and seal (`chain_seal`, which
also writes the signed checkpoint of each sealing outside the database)."""

import hashlib
import json

from django.db import connection, transaction
from django.utils import timezone

from anonymizer.core.detect import detect
from audit.checkpoints import checkpoint_write
from audit.models import AuditEvent, ChainHead

SEAL_BATCH = 5000
_PII_KEYS = {"email", "e-mail", "phone", "name", "first_name", "last_name", "address", "ip"}


class System:
    """The actor for what Hush does on its own (beat tasks, migrations, commands)."""


SYSTEM = System()


def actor_of(actor) -> tuple[str, str]:
    from django.contrib.auth.models import AbstractBaseUser

    if actor is None or isinstance(actor, System):
        return AuditEvent.ActorType.SYSTEM, ""
    if isinstance(actor, tuple):
        return actor[0], str(actor[1])
    if isinstance(actor, AbstractBaseUser):
        return AuditEvent.ActorType.USER, str(actor.pk)
    audit_actor = getattr(actor, "audit_actor", None)
    if audit_actor is not None:
        return audit_actor
    raise TypeError(f"cannot record {type(actor).__name__} as an audit actor")


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, str):
        kind, _, ident = target.partition(":")
        return kind, ident
    ident = getattr(target, "audit_id", None) or target.pk
    return target._meta.label_lower, str(ident)


def _check_no_pii(details: dict) -> None:
    """Audit rows outlive erasure, so a stray address here would be a leak."""
    stack = [details]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                if str(key).lower() in _PII_KEYS:
                    raise ValueError(f"audit details may not carry personal data ({key!r})")
                stack.append(inner)
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, str) and (found := detect(value)):
            raise ValueError(f"audit details may not carry personal data ({found[0].kind})")


def audit_record(*, actor, action: str, target=None, details: dict | None = None) -> AuditEvent:
    """Append one event. Cheap by design: no lock, no hash; the sealer chains it."""
    return audit_records(actor=actor, action=action, items=[(target, details)])[0]


def audit_records(*, actor, action: str, items: list[tuple]) -> list[AuditEvent]:
    """Append one event per (target, details) in one INSERT: a batch of changes made by
    one actor (an email provider's batch of bounces)."""
    actor_type, actor_id = actor_of(actor)
    rows = []
    for target, details in items:
        details = details or {}
        _check_no_pii(details)
        target_type, target_id = _target(target)
        rows.append(AuditEvent(occurred_at=timezone.now(), actor_type=actor_type,
                               actor_id=actor_id, action=action, target_type=target_type,
                               target_id=target_id, details=details))
    if len(rows) == 1:
        rows[0].save(force_insert=True)
        return rows
    return AuditEvent.objects.bulk_create(rows)


def event_hash(event: AuditEvent, *, seq: int, prev_hash: str) -> str:
    payload = json.dumps(
        [
            seq,
            prev_hash,
            event.occurred_at.isoformat(),
            event.actor_type,
            event.actor_id,
            event.action,
            event.target_type,
            event.target_id,
            event.details,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def chain_seal(*, batch: int = SEAL_BATCH) -> int:
    """Number and hash unsealed events in insertion order; returns how many.

    The chain head row is locked for the duration, so concurrent sealers queue and
    the chain never forks. A row committed late (lower id, committed after a
    higher one was sealed) simply gets the next sequence number. Each batch's
    checkpoint is written once its transaction committed (so never for a head that
    was rolled back): call this outside any transaction.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            ChainHead.objects.get_or_create(pk=1)
            head = ChainHead.objects.select_for_update().get(pk=1)
            pending = list(
                AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch]
            )
            if not pending:
                return sealed
            seq, prev = head.last_seq, head.last_hash
            rows = []
            for event in pending:
                seq += 1
                digest = event_hash(event, seq=seq, prev_hash=prev)
                rows.append((seq, prev, digest, event.pk))
                prev = digest
            with connection.cursor() as cursor:
                # Raw SQL: the ORM refuses updates; the database trigger allows
                # exactly this one (an unsealed row getting its seal).
                cursor.executemany(
                    f"UPDATE {AuditEvent._meta.db_table} SET seq = %s, prev_hash = %s, "  # noqa: S608
                    "hash = %s WHERE id = %s AND seq IS NULL",
                    rows,
                )
            ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
            sealed += len(rows)
        checkpoint_write(first_seq=rows[0][0], hashes=[row[2] for row in rows])
        if len(pending) < batch:
            return sealed
