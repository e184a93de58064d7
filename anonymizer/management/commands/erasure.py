import json
import sys
import time
import uuid
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

import audit
from anonymizer import erasure
from anonymizer.erasure.replay import erasure_replay
from anonymizer.erasure.selectors import erasure_report
from anonymizer.ledger import LedgerNotConfigured
from anonymizer.models import ErasureRequest


def _request(ident: str) -> ErasureRequest:
    """By the API's id (a uuid) or the database id."""
    try:
        lookup = {"key": uuid.UUID(ident)} if "-" in ident or len(ident) == 32 else \
            {"pk": int(ident)}
    except ValueError:
        raise CommandError(f"not an erasure request id: {ident!r}") from None
    request = ErasureRequest.objects.filter(**lookup).first()
    if request is None:
        raise CommandError(f"no erasure request {ident}")
    return request


class Command(BaseCommand):
    help = "Erasure requests: ask for one, follow it, retry its failed steps."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ask = sub.add_parser("request", help="erase a subject (by email, id or external id)")
        who = ask.add_mutually_exclusive_group(required=True)
        who.add_argument("--email")
        who.add_argument("--subject", help="the subject's id")
        who.add_argument("--external-id")
        ask.add_argument("--wait", action="store_true", help="follow it until it ends")
        ask.add_argument("--timeout", type=float, default=600, help="seconds --wait waits")
        status = sub.add_parser("status", help="a request's progress and report")
        status.add_argument("id")
        status.add_argument("--json", action="store_true")
        retry = sub.add_parser("retry", help="put a failed request's failed steps back")
        retry.add_argument("id")
        replay = sub.add_parser("replay", help="after restoring a backup: apply every "
                                "ledgered erasure and suppression again, then verify")
        replay.add_argument("--since", help="only ledger entries from this time (ISO 8601)")
        replay.add_argument("--timeout", type=float, default=3600,
                            help="seconds to wait for the erasures to finish")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _request(self, *, email, subject, external_id, wait, timeout, **_):
        try:
            public_id = uuid.UUID(subject) if subject else None
        except ValueError:
            raise CommandError("--subject takes the subject's id (a uuid)") from None
        try:
            request = erasure.erasure_request_for(
                actor=audit.SYSTEM, source=ErasureRequest.Source.STAFF, public_id=public_id,
                email=email, external_id=external_id or None)
        except erasure.NotFound:
            raise CommandError("no subject has that id") from None
        self.stdout.write(f"erasure request {request.key} (id {request.pk})")
        if wait:
            request = self._follow(request, timeout)
            if request.status != ErasureRequest.Status.DONE:
                raise CommandError(f"erasure {request.pk} ended {request.status}: "
                                   f"see `erasure status {request.pk}`")

    def _follow(self, request: ErasureRequest, timeout: float) -> ErasureRequest:
        """A live progress line until the request is done or failed."""
        deadline = time.monotonic() + timeout
        live = sys.stdout.isatty()
        last = None
        while True:
            request.refresh_from_db()
            progress = erasure_report(request, details=False)["progress"]
            line = _progress_line(request.status, progress)
            if line != last:
                self.stdout.write(("\r" + line) if live else line, ending="" if live else "\n")
                self.stdout.flush()
                last = line
            if request.status in (ErasureRequest.Status.DONE, ErasureRequest.Status.FAILED):
                break
            if time.monotonic() > deadline:
                raise CommandError(f"still {request.status} after {timeout:g} s")
            time.sleep(0.2)
        if live:
            self.stdout.write("")
        return request

    def _status(self, *, id, **options):
        report = erasure_report(_request(id))
        if options["json"]:
            self.stdout.write(_json(report))
            return
        self.stdout.write(f"erasure {report['id']}  subject {report['subject']}  "
                          f"{_progress_line(report['status'], report['progress'])}")
        self.stdout.write(f"requested {report['requested_at']:%Y-%m-%d %H:%M:%S} "
                          f"({report['source']})")
        for step in report["steps"]:
            fields = ",".join(step["fields"]) or "-"
            when = f"{step['finished_at']:%H:%M:%S}" if step["finished_at"] else "-"
            error = f"  {step['last_error']}" if step["last_error"] else ""
            self.stdout.write(f"  {step['status']:<8} {step['target']:<40} rows={step['rows']:<6}"
                              f" fields={fields}  attempts={step['attempts']}  {when}{error}")
        verification = report["verification"]
        if verification:
            verdict = "clean" if verification["clean"] else "FOUND " + ", ".join(
                f"{f['entry']}.{f['field']} ({f['identifier']}, {f['rows']} rows)"
                for f in verification["found"])
            self.stdout.write(f"verification: {verdict} ({verification['places']} fields "
                              "searched)")

    def _replay(self, *, since, timeout, **_):
        when = None
        if since:
            try:
                when = datetime.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since takes an ISO 8601 time, not {since!r}") from None
            if timezone.is_naive(when):
                when = when.replace(tzinfo=UTC)
        try:
            summary = erasure_replay(since=when, timeout=timeout,
                                     progress=lambda line: (self.stdout.write(line),
                                                            self.stdout.flush()))
        except LedgerNotConfigured as exc:
            raise CommandError(f"{exc}: there is nothing to replay from") from None
        if summary["found"] or summary["unfinished"]:
            raise CommandError("replay finished with findings: see `erasure status <id>` "
                               "for " + ", ".join(sorted({f["request"]
                                                          for f in summary["found"]})))

    def _retry(self, *, id, **_):
        request = _request(id)
        count = erasure.erasure_retry(request_id=request.pk, actor=audit.SYSTEM)
        if not count:
            raise CommandError(f"erasure {request.pk} is {request.status}: nothing to retry")
        self.stdout.write(f"put {count} steps back; erasure {request.pk} is running again")


def _progress_line(status: str, progress: dict) -> str:
    done, total = progress["done"], progress["total"]
    width = 20
    filled = width * done // total if total else 0
    failed = f", {progress['failed']} failed" if progress["failed"] else ""
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} steps{failed}  {status}"


def _json(report: dict) -> str:
    return json.dumps(report, default=str, indent=2)
