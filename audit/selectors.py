"""Reads of the audit trail."""

from dataclasses import dataclass

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


def chain_verify(*, chunk: int = 5000) -> ChainReport:
    """Walk the sealed chain in sequence order and recompute every hash."""
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


def _unsealed() -> int:
    return AuditEvent.objects.filter(seq__isnull=True).count()
