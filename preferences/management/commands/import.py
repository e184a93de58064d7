"""`manage.py import subjects|suppressions FILE`: a CSV (with a header) or JSON-lines file.

Run again after an interruption to continue from the last committed batch; run on a
finished file to check it changes nothing. Prints a live progress line on stderr.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

import audit
from preferences.imports.presets import PRESETS
from preferences.imports.rows import PlanError, map_parse
from preferences.imports.services import import_open, import_run
from preferences.models import Import


class Command(BaseCommand):
    help = "Import subjects or suppressions from a CSV or JSON-lines file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=Import.Kind.values)
        parser.add_argument("file")
        parser.add_argument("--preset", choices=sorted(PRESETS), default="",
                            help="read a provider's own export as it comes")
        parser.add_argument("--map", default="", metavar="FIELD=COLUMN,...",
                            help="which column holds each field or topic "
                                 "(e.g. email=Email,newsletter=News)")
        parser.add_argument("--topic", default="", metavar="SLUG",
                            help="the topic a one-list export (Mailchimp, SendGrid, listmonk, "
                                 "Brevo) feeds")
        parser.add_argument("--batch", type=int, default=None,
                            help="rows per transaction (default HUSH_IMPORT_BATCH, 10,000)")
        parser.add_argument("--quiet", action="store_true", help="no progress line")

    def handle(self, *args, kind, file, preset, map, topic, batch, quiet, **options):
        if batch is not None and batch < 1:
            raise CommandError("--batch is at least 1")
        try:
            job, resumed = import_open(kind=kind, path=file, actor=audit.SYSTEM, preset=preset,
                                       mapping=map_parse(map), topic_slug=topic)
        except PlanError as exc:
            raise CommandError(str(exc)) from None
        if resumed:
            self.stderr.write(f"continuing import {job.key} after line {job.lines_done}")
        started = time.monotonic()
        tty = sys.stderr.isatty()

        def progress(current: Import):
            if quiet:
                return
            line = _progress_line(current, time.monotonic() - started)
            self.stderr.write(("\r" + line) if tty else line, ending="" if tty else "\n")

        job = import_run(job_id=job.pk, progress=progress, batch_size=batch)
        if tty and not quiet:
            self.stderr.write("")
        if job.status != Import.Status.DONE:
            raise CommandError(f"import {job.key} stopped: {job.error or job.status}")
        self.stdout.write(f"import {job.key}: {_progress_line(job, time.monotonic() - started)}")
        if job.bad:
            self.stdout.write("bad rows (line: reason), also in the console report:")
            for problem in job.problems.order_by("line")[:20]:
                self.stdout.write(f"  {problem.line}: {problem.get_reason_display()}")
            if job.bad > 20:
                self.stdout.write(f"  ... and {job.bad - 20} more")


def _progress_line(job: Import, seconds: float) -> str:
    return (f"{job.progress:4.0%} line {job.lines_done:,}: {job.created:,} created, "
            f"{job.updated:,} updated, {job.unchanged:,} unchanged, {job.bad:,} bad "
            f"({seconds:.1f} s)")
