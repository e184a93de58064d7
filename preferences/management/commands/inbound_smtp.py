"""`manage.py inbound_smtp --bind HOST:PORT [--lmtp] [--workers N]`: the SMTP (or
LMTP) listener an MTA relays the unsubscribe and bounce addresses to. It stops on
SIGTERM or SIGINT after the messages in hand are answered."""

import asyncio
import signal

from django.core.management.base import BaseCommand, CommandError

from preferences.inbound import smtp
from preferences.inbound.services import accepted_addresses


def _bind(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CommandError(f"--bind must be HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "Listen for mail to the unsubscribe and bounce addresses (SMTP or LMTP)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", required=True, help="HOST:PORT, e.g. 127.0.0.1:2525")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument("--workers", type=int, default=4,
                            help="database threads (messages recorded at once)")

    def handle(self, *args, bind, lmtp, workers, **options):
        host, port = _bind(bind)
        if not accepted_addresses():
            raise CommandError("no address to accept: set HUSH_UNSUBSCRIBE_MAILTO and/or "
                               "HUSH_INBOUND_BOUNCE_ADDRESSES")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        asyncio.run(self._serve(host, port, lmtp, workers))

    async def _serve(self, host, port, lmtp, workers):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        def started(bound):
            self.stdout.write(f"inbound {'LMTP' if lmtp else 'SMTP'} listening on "
                              f"{host}:{bound}")
            self.stdout.flush()

        await smtp.serve(host, port, lmtp=lmtp, workers=workers, started=started, stop=stop)
