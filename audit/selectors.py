"""Reads of the audit trail."""

from dataclasses import dataclass, replace

from audit import checkpoints
from audit.models import AuditEvent, ChainHead
from audit.services import event_hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    unsealed: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    # The signed checkpoints outside the database: None when none is configured.
    anchored_seq: int | None = None  # the latest checkpoint's head (0: none written yet)
    checkpoints: int = 0


def chain_verify(*, chunk: int = 5000) -> ChainReport:
    """Walk the sealed chain in sequence order and recompute every hash, then hold it
    against the signed checkpoints (when configured): a chain rewritten with its hashes
    recomputed agrees with itself, never with them."""
    report = _chain_walk(chunk=chunk)
    if not report.ok or not checkpoints.configured():
        return report
    return _against_checkpoints(report, chunk=chunk)


def _chain_walk(*, chunk: int) -> ChainReport:
    prev_hash, expected_seq, checked = "0" * 64, 1, 0
    last_seq = 0
    while True:
        events = list(
            AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:chunk]
        )
        for event in events:
            problem = ""
            if event.seq != expected_seq:
                problem = f"sequence gap: expected {expected_seq}, found {event.seq}"
            elif event.prev_hash != prev_hash:
                problem = "previous-hash link does not match the event before it"
            elif event.hash != event_hash(event, seq=event.seq, prev_hash=prev_hash):
                problem = "content does not match its hash"
            if problem:
                return ChainReport(
                    ok=False, checked=checked, unsealed=_unsealed(),
                    broken_seq=event.seq, broken_id=event.pk, reason=problem,
                )
            prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
            last_seq = event.seq
        if len(events) < chunk:
            break
    head = ChainHead.objects.filter(pk=1).first() or ChainHead(last_seq=0)
    if head.last_seq != last_seq or head.last_hash != prev_hash:
        # Events cut off the end leave the head pointing past the last one found.
        return ChainReport(
            ok=False, checked=checked, unsealed=_unsealed(), broken_seq=last_seq + 1,
            reason=f"chain ends at {last_seq} but its head records {head.last_seq}",
        )
    return ChainReport(ok=True, checked=checked, unsealed=_unsealed())


def _against_checkpoints(report: ChainReport, *, chunk: int) -> ChainReport:
    """Compare every event a checkpoint signed with the chain, a few thousand at a time
    (lines come nearly in sequence order), and report the earliest that differs."""
    count, latest, pending, pending_size = 0, 0, [], 0
    earliest: tuple[int, str] | None = None  # (seq, why)

    def compare():
        nonlocal earliest
        low, high = min(c.first for c in pending), max(c.seq for c in pending)
        stored = dict(AuditEvent.objects.filter(seq__gte=low, seq__lte=high)
                      .values_list("seq", "hash"))
        for checkpoint in pending:
            for seq, signed in enumerate(checkpoint.hashes, checkpoint.first):
                if stored.get(seq) == signed or (earliest and earliest[0] <= seq):
                    continue
                why = ("differs from the signed checkpoint" if seq in stored
                       else "is missing, though a signed checkpoint records it")
                earliest = (seq, f"{why} ({checkpoint.where})")
                break

    try:
        for checkpoint in checkpoints.checkpoints_read():
            count, latest = count + 1, max(latest, checkpoint.seq)
            pending.append(checkpoint)
            pending_size += len(checkpoint.hashes)
            if pending_size >= chunk:
                compare()
                pending, pending_size = [], 0
        if pending:
            compare()
    except checkpoints.CheckpointError as error:
        return replace(report, ok=False, reason=str(error), checkpoints=count,
                       anchored_seq=latest)
    if earliest is None:
        return replace(report, anchored_seq=latest, checkpoints=count)
    seq, why = earliest
    broken = AuditEvent.objects.filter(seq=seq).values_list("pk", flat=True).first()
    if broken is None:
        # Events cut off the end, the head moved back: the first missing one is named.
        why = f"the chain ends at {report.checked}; event {seq} {why}"
    return replace(report, ok=False, broken_seq=seq, broken_id=broken, reason=why,
                   anchored_seq=latest, checkpoints=count)


def _unsealed() -> int:
    return AuditEvent.objects.filter(seq__isnull=True).count()


# --- the console's trail: filtered, newest first, keyset pages ----------------------

PAGE_SIZE = 50


def _parse_ref(value: str) -> tuple[str, str | None]:
    kind, sep, ident = value.partition(":")
    return kind, (ident if sep else None)


def events_filtered(filters: dict):
    """Events matching the console's filters (see AuditFilterForm.filters)."""
    from datetime import datetime

    rows = AuditEvent.objects.all()
    if filters.get("since"):
        rows = rows.filter(occurred_at__gte=datetime.fromisoformat(filters["since"]))
    if filters.get("until"):
        rows = rows.filter(occurred_at__lte=datetime.fromisoformat(filters["until"]))
    if filters.get("action"):
        rows = rows.filter(action=filters["action"])
    if filters.get("actor"):
        kind, ident = _parse_ref(filters["actor"])
        rows = rows.filter(actor_type=kind)
        if ident is not None:
            rows = rows.filter(actor_id=ident)
    if filters.get("target"):
        kind, ident = _parse_ref(filters["target"])
        rows = rows.filter(target_type=kind)
        if ident is not None:
            rows = rows.filter(target_id=ident)
    return rows


def encode_cursor(event: AuditEvent) -> str:
    return f"{event.occurred_at.isoformat()}_{event.pk}"


def decode_cursor(cursor: str):
    from datetime import datetime

    try:
        moment, _, pk = cursor.rpartition("_")
        return datetime.fromisoformat(moment), int(pk)
    except ValueError:
        return None


def events_page(filters: dict, *, before: str | None = None, size: int = PAGE_SIZE):
    """One page, newest first, and the cursor of the next (older) page or None.

    Keyset, not OFFSET: the page after `before` starts with an index range read at
    (occurred_at, id) < the cursor, so page 10,000 costs what page 1 does.
    """
    from django.db.models import Q

    rows = events_filtered(filters)
    position = decode_cursor(before) if before else None
    if position:
        moment, pk = position
        # The `lte` bound is what lets the index start at the cursor; the OR then
        # drops the rows of that same instant already shown.
        rows = rows.filter(occurred_at__lte=moment).filter(
            Q(occurred_at__lt=moment) | Q(id__lt=pk))
    events = list(rows.order_by("-occurred_at", "-id")[: size + 1])
    more = len(events) > size
    events = events[:size]
    return events, (encode_cursor(events[-1]) if more and events else None)


def events_iter(filters: dict, *, chunk: int = 2000):
    """Every matching event, newest first, fetched a keyset page at a time (for export)."""
    cursor = None
    while True:
        events, cursor = events_page(filters, before=cursor, size=chunk)
        yield from events
        if cursor is None:
            return


def chain_status() -> dict:
    """What the overview shows without walking a million hashes: the head, what is
    waiting to be sealed, and the last verification anyone ran."""
    head = ChainHead.objects.filter(pk=1).first()
    last = (AuditEvent.objects.filter(action="audit.chain_verified")
            .order_by("-occurred_at", "-id").first())
    return {
        "head_seq": head.last_seq if head else 0,
        "unsealed": _unsealed(),
        "last_verified_at": last.occurred_at if last else None,
        "last_verified_ok": last.details.get("ok") if last else None,
        "last_verified_checked": last.details.get("checked") if last else None,
    }
