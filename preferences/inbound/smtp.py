"""The SMTP/LMTP listener (aiosmtpd) an MTA relays the unsubscribe and bounce
addresses to: `manage.py inbound_smtp --bind HOST:PORT [--lmtp]`.

RCPT takes only the configured addresses (`accepted_address`); DATA is answered 250
only once the message is recorded and applied (`message_record` committed), and 451
when it could not be (the database is down, a connection was cut), so the sending
MTA keeps it and retries. The database work runs in a small thread pool, each thread
with its own connection, reopened after an error.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections, connection

from preferences.inbound.services import accepted_address, message_record

log = logging.getLogger(__name__)
MAX_RECIPIENTS = 100
RECORDED = "250 2.0.0 Recorded"
NOT_RECORDED = "451 4.3.0 Not recorded, try again later"


def _record(raw: bytes, recipients: list[str]) -> None:
    close_old_connections()  # drops a connection that broke since the last message
    try:
        message_record(raw=raw, channel="smtp", recipients=recipients)
    except Exception:
        connection.close()  # a cut connection must not serve the next message
        raise


class InboundHandler:
    """aiosmtpd's handler: the RCPT filter and the DATA answer."""

    def __init__(self, *, executor: ThreadPoolExecutor, lmtp: bool = False):
        self.executor, self.lmtp = executor, lmtp

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not accepted_address(address):
            return "550 5.1.1 No such recipient here"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, _record, envelope.original_content,
                                       list(envelope.rcpt_tos))
            status = RECORDED
        except Exception as failure:  # whatever it was, the MTA must retry
            log.warning("inbound message not recorded (%s); answered 451",
                        type(failure).__name__)
            status = NOT_RECORDED
        # LMTP answers DATA once per recipient (RFC 2033 section 4.2).
        return "\r\n".join([status] * len(envelope.rcpt_tos)) if self.lmtp else status


async def serve(host: str, port: int, *, lmtp: bool = False, workers: int = 4,
                started=None, stop: asyncio.Event | None = None) -> None:
    """Listen until `stop` is set; `started(port)` is called once bound."""
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inbound-db")
    handler = InboundHandler(executor=executor, lmtp=lmtp)
    protocol = LMTP if lmtp else SMTP
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol(handler, data_size_limit=settings.HUSH_INBOUND_MAX_BYTES,
                         enable_SMTPUTF8=True, decode_data=False, ident="Hush inbound",
                         hostname=host, timeout=120),
        host=host, port=port)
    if started is not None:
        started(server.sockets[0].getsockname()[1])
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        server.close()
        await server.wait_closed()
        executor.shutdown(wait=True)
