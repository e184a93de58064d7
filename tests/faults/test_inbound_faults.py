"""Mail in never loses an opt-out: 1,000 mailto unsubscribes through the SMTP listener
(`manage.py inbound_smtp`, a separate process) while the database connections are cut
and PostgreSQL is stopped for 10 s. The test plays the sending MTA: a message answered
4xx, or whose connection broke, is sent again (the same bytes) until it is answered
250. In the end every message was acknowledged and applied, and none twice in effect.

It uses a PostgreSQL of its own (`own_postgres`), never the shared server.
"""

import json
import os
import smtplib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.faults.conftest import wait_for
from tests.faults.own_postgres import OwnPostgres, available
from tests.preferences.inbound import samples

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
DB = "hush_inbound_faults"
MESSAGES = 1000
OUTAGE_S = 10
ADDRESS = "unsubscribe@mail.example.com"

SEED = """
import json, sys
import django
django.setup()
from preferences.models import Subject, Subscription, Topic
from preferences.tokens import make_unsubscribe_token
topic = Topic.objects.create(slug="newsletter", name="Newsletter")
count = int(sys.argv[1])
subjects = Subject.objects.bulk_create([Subject(external_id=f"s{i}") for i in range(count)])
Subscription.objects.bulk_create([Subscription(subject=s, topic=topic, status="subscribed")
                                  for s in subjects])
print(json.dumps([make_unsubscribe_token(subject=s, topic=topic) for s in subjects]))
"""


def _env(pg: OwnPostgres, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": pg.url(DB), "HUSH_UNSUBSCRIBE_MAILTO": ADDRESS,
            "DATABASE_CONN_MAX_AGE": "600", "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "config.settings", **extra}


class Mta:
    """Sends each message until it is answered 250, as a queueing MTA does."""

    def __init__(self, port: int):
        self.port = port
        self.refused = 0        # answered 4xx
        self.broken = 0         # the connection failed or was cut
        self.accepted_after_retry = 0
        self.lock = threading.Lock()

    def deliver(self, raw: bytes, deadline: float) -> bool:
        tries = 0
        while time.monotonic() < deadline:
            tries += 1
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
                    client.sendmail("alice@example.com", [ADDRESS], raw)
                if tries > 1:
                    with self.lock:
                        self.accepted_after_retry += 1
                return True
            except smtplib.SMTPResponseException as answer:
                assert 400 <= answer.smtp_code < 500, answer  # never a permanent refusal
                with self.lock:
                    self.refused += 1
            except (OSError, smtplib.SMTPException):
                with self.lock:
                    self.broken += 1
            time.sleep(0.25)
        return False


def test_a_thousand_mailto_unsubscribes_survive_cut_connections_and_a_stopped_database(
        fault_report):
    require_service(available(), "needs PostgreSQL's server binaries "
                                 "(/usr/lib/postgresql/15/bin, or HUSH_PG_BIN)")
    pg = OwnPostgres()
    listener = None
    try:
        pg.init()
        pg.psql(f"CREATE DATABASE {DB}")
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                       cwd=ROOT, env=_env(pg), check=True, timeout=300)
        seeded = subprocess.run([sys.executable, "-c", SEED, str(MESSAGES)], cwd=ROOT,
                                env=_env(pg), check=True, timeout=120, capture_output=True)
        tokens = json.loads(seeded.stdout)
        messages = [samples.mailto(token) for token in tokens]

        with open(pg.folder / "listener.log", "w") as log:
            listener = subprocess.Popen(
                [sys.executable, "manage.py", "inbound_smtp", "--bind", "127.0.0.1:0",
                 "--workers", "4"], cwd=ROOT, env=_env(pg), stdout=subprocess.PIPE,
                stderr=log, text=True, start_new_session=True)
        banner = listener.stdout.readline()
        assert "listening on" in banner, (pg.folder / "listener.log").read_text()
        port = int(banner.rsplit(":", 1)[1])

        mta = Mta(port)
        deadline = time.monotonic() + 240
        done = {"n": 0}
        counted = threading.Lock()

        def send(raw):
            ok = mta.deliver(raw, deadline)
            with counted:
                done["n"] += 1
            return ok

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = [pool.submit(send, raw) for raw in messages]
            # The faults, while the messages are coming in.
            wait_for(lambda: done["n"] >= 150, timeout=120, what="150 messages sent")
            cut = sum(pg.cut_connections(DB) for _ in range(3))
            wait_for(lambda: done["n"] >= 300, timeout=120, what="300 messages sent")
            cut += pg.cut_connections(DB)
            pg.stop("fast")
            stopped_at = done["n"]
            time.sleep(OUTAGE_S)
            pg.start()
            acknowledged = sum(1 for r in results if r.result())
        elapsed = time.monotonic() - started

        assert acknowledged == MESSAGES
        assert stopped_at < MESSAGES  # the outage hit messages still on their way
        assert mta.refused + mta.broken > 0  # and the listener answered 4xx meanwhile
        unsubscribed = int(pg.psql("SELECT count(*) FROM preferences_subscription "
                                   "WHERE status = 'unsubscribed'", DB))
        events = int(pg.psql("SELECT count(*) FROM preferences_consentevent "
                             "WHERE source = 'mailto'", DB))
        twice = int(pg.psql("SELECT count(*) FROM (SELECT subject_id FROM "
                            "preferences_consentevent GROUP BY subject_id, topic_id "
                            "HAVING count(*) > 1) x", DB))
        ledger = int(pg.psql("SELECT count(*) FROM preferences_inboundevent "
                             "WHERE status = 'applied'", DB))
        audited = int(pg.psql("SELECT count(*) FROM audit_auditevent "
                              "WHERE action = 'consent.changed'", DB))
        assert (unsubscribed, events, twice, ledger, audited) == (
            MESSAGES, MESSAGES, 0, MESSAGES, MESSAGES)
        fault_report(
            f"inbound: {MESSAGES} mailto unsubscribes through the SMTP listener in "
            f"{elapsed:.1f}s; {cut} connections cut, PostgreSQL stopped {OUTAGE_S}s after "
            f"{stopped_at}; {mta.refused} answers 4xx, {mta.broken} broken connections, "
            f"{mta.accepted_after_retry} messages accepted on a retry; all {MESSAGES} applied "
            "once")
    finally:
        if listener is not None and listener.poll() is None:
            listener.terminate()
            try:
                listener.wait(timeout=15)
            except subprocess.TimeoutExpired:
                listener.kill()
        pg.remove()
