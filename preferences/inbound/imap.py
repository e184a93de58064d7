"""The IMAP poller: a hosted unsubscribe@ mailbox, read by beat every
`HUSH_INBOUND_IMAP_INTERVAL` seconds (`HUSH_INBOUND_IMAP_URL`).

Unseen messages are fetched with BODY.PEEK (reading marks nothing), recorded through
`message_record`, and only then flagged \\Seen, or moved to `HUSH_INBOUND_IMAP_MOVE_TO`.
If recording fails the poll stops there and the message stays unseen for the next
one; if the flag is lost after recording, the ledger knows the message next time.
"""

import contextlib
import imaplib
import logging
import ssl

from django.conf import settings
from django.core.cache import cache

from preferences.inbound.services import message_record

log = logging.getLogger(__name__)
BATCH = 500
LOCK = "hush.inbound.imap-poll"


def _connect(config: dict) -> imaplib.IMAP4:
    if config["tls"]:
        client = imaplib.IMAP4_SSL(config["host"], config["port"], timeout=30,
                                   ssl_context=ssl.create_default_context())
    else:
        client = imaplib.IMAP4(config["host"], config["port"], timeout=30)
    client.login(config["user"], config["password"])
    return client


def _done(client: imaplib.IMAP4, uid: bytes) -> None:
    client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    folder = settings.HUSH_INBOUND_IMAP_MOVE_TO
    if not folder:
        return
    mailbox = '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if "MOVE" in client.capabilities:
        client.uid("MOVE", uid, mailbox)
        return
    client.uid("COPY", uid, mailbox)
    client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    client.expunge()


def mailbox_poll() -> int:
    """Record every unseen message (up to BATCH a run); returns how many were recorded."""
    config = settings.HUSH_INBOUND_IMAP_URL
    if not config or not cache.add(LOCK, 1, timeout=300):  # one poll at a time
        return 0
    done = 0
    try:
        client = _connect(config)
        try:
            client.select('"' + config["mailbox"].replace('"', '\\"') + '"')
            _, found = client.uid("SEARCH", None, "UNSEEN")
            for uid in (found[0] or b"").split()[:BATCH]:
                _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if raw is None:
                    continue
                message_record(raw=raw, channel="imap")
                _done(client, uid)
                done += 1
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()
    finally:
        cache.delete(LOCK)
    return done
