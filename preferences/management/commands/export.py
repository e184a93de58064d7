"""`manage.py export consent [--topic SLUG] [--format csv|jsonl] [--with-email]`."""

from django.core.management.base import BaseCommand, CommandError

import audit
from preferences.consent_export import consent_lines, consent_rows
from preferences.models import Topic


class Command(BaseCommand):
    help = "Export everyone's current consent (by opaque id; the email only when asked)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        consent = sub.add_parser("consent", help="each subject's state per topic and purpose, "
                                 "with the time and source of the last change")
        consent.add_argument("--topic", default="", metavar="SLUG", help="one topic only")
        consent.add_argument("--format", choices=("csv", "jsonl"), default="csv")
        consent.add_argument("--with-email", action="store_true",
                             help="add each subject's email (audited)")
        consent.add_argument("--output", default="-", metavar="FILE",
                             help="write here instead of stdout")

    def handle(self, *args, what, topic, format, with_email, output, **options):
        if topic and not Topic.objects.filter(slug=topic).exists():
            raise CommandError("no topic has that slug")
        audit.record(actor=audit.SYSTEM, action="consent.exported",
                     details={"format": format, "topic": topic, "with_email": with_email,
                              "by": "command"})
        lines = consent_lines(consent_rows(topic=topic, with_email=with_email), fmt=format,
                              with_email=with_email)
        if output == "-":
            for line in lines:
                self.stdout.write(line, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="") as out:
            out.writelines(lines)
