"""`erasure replay`: after a backup is restored, apply every ledgered erasure and
suppression again, then report what the verification pass found.

The suppressions come back first (a digest row each, so nothing is mailed while the
erasures run); then every ledgered subject the restored database knows again gets a
fresh erasure request, run by the workers like any other (steps, destinations, the
company's catalogued databases, verification); the call follows them to the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import audit
from anonymizer import ledger
from anonymizer.models import ErasureRequest
from anonymizer.services import erasure_open
from preferences.models import Subject, Suppression

RequestStatus = ErasureRequest.Status
FINISHED = (RequestStatus.DONE, RequestStatus.FAILED)


def _suppress(digest: str | None, reason: str) -> bool:
    if not digest:
        return False
    row, created = Suppression.objects.get_or_create(email_digest=digest,
                                                     defaults={"reason": reason})
    if not created and row.reason == Suppression.Reason.UNSUBSCRIBED_ALL \
            and reason != row.reason:
        Suppression.objects.filter(pk=row.pk).update(reason=reason)  # reasons only harden
    return created


def erasure_replay(*, since: datetime | None = None, progress: Callable[[str], None] = print,
                   timeout: float = 600, poll: float = 0.5) -> dict:
    entries = list(ledger.ledger_read(since=since))
    erasures = [e for e in entries if e["kind"] == ledger.ERASURE]
    suppressions = [e for e in entries
                    if e["kind"] in (ledger.SUPPRESSION, ledger.UNSUPPRESSION)]
    restored = 0
    for entry in suppressions:  # in order: a lifted opt-out is lifted again
        digests = entry.get("email_digests") or [entry.get("email_digest")]
        if entry["kind"] == ledger.UNSUPPRESSION:
            Suppression.objects.filter(email_digest__in=digests,
                                       reason=Suppression.Reason.UNSUBSCRIBED_ALL).delete()
            continue
        for digest in digests:
            restored += _suppress(digest, entry.get("reason") or Suppression.Reason.MANUAL)
    for entry in erasures:
        restored += _suppress(entry.get("email_digest"), Suppression.Reason.ERASED)
    progress(f"suppressions: {len(suppressions)} ledger entries, {restored} digests restored")

    requests, unknown = {}, 0
    for entry in erasures:
        public_id = entry["subject"]
        if public_id in requests:
            continue
        if not Subject.objects.filter(public_id=public_id).exists():
            unknown += 1  # not in the restored database: only its digest was to restore
            continue
        request = erasure_open(public_id=public_id, source="replay", actor=audit.SYSTEM)
        requests[public_id] = request.pk
    progress(f"erasures: {len(erasures)} ledger entries, {len(requests)} subjects to erase "
             f"again, {unknown} not in this database")

    deadline = time.monotonic() + timeout
    last = None
    while True:
        statuses = dict(ErasureRequest.objects.filter(pk__in=list(requests.values()))
                        .values_list("pk", "status"))
        done = sum(1 for s in statuses.values() if s in FINISHED)
        line = _bar(done, len(requests))
        if line != last:
            progress(line)
            last = line
        if done == len(requests) or time.monotonic() > deadline:
            break
        time.sleep(poll)

    found, clean, unfinished = [], 0, 0
    for request in ErasureRequest.objects.filter(pk__in=list(requests.values())):
        if request.status not in FINISHED:
            unfinished += 1
        elif (request.verification or {}).get("clean"):
            clean += 1
        else:
            found += [{"request": str(request.key), **f}
                      for f in (request.verification or {}).get("found", [])] or [
                {"request": str(request.key), "status": request.status}]
    summary = {"erasure_entries": len(erasures), "suppression_entries": len(suppressions),
               "digests_restored": restored, "replayed": len(requests), "unknown": unknown,
               "verified_clean": clean, "unfinished": unfinished, "found": found}
    audit.record(actor=audit.SYSTEM, action="erasure.replayed", details={
        k: v for k, v in summary.items() if k != "found"} | {"found": len(found)})
    progress(f"verification: {clean} of {len(requests)} clean, {len(found)} findings, "
             f"{unfinished} unfinished")
    return summary


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = width * done // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} erasures replayed"
