"""`manage.py inbound_mail [--recipient ADDRESS]`: one RFC 5322 message on stdin, for
an MTA's pipe transport (Postfix `pipe`, Exim's pipe transport).

Exit 0 when the message was handled (acted on, or deliberately ignored and counted);
75 (EX_TEMPFAIL) when it could not be recorded, so the MTA queues it and retries.
Nothing is printed about the message: an MTA may quote a pipe's output in a bounce.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from preferences.inbound.services import message_record

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one message on stdin (an MTA's pipe) and record what it means."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", action="append", default=[],
                            help="the envelope recipient (Postfix: ${original_recipient}); "
                                 "may be repeated")

    def handle(self, *args, recipient, **options):
        # One byte past the limit is enough to know the message is too large.
        raw = sys.stdin.buffer.read(settings.HUSH_INBOUND_MAX_BYTES + 1)
        try:
            message_record(raw=raw, channel="pipe", recipients=recipient)
        except Exception as failure:  # not recorded: the MTA must retry
            self.stderr.write(f"4.3.0 not recorded ({type(failure).__name__}); "
                              "try again later")
            sys.exit(EX_TEMPFAIL)
