"""Hush behind PgBouncer in transaction mode, as the README says to run it: gunicorn
(2 workers), a Celery worker and beat (the sweeper, the audit sealer, the journal
replay) all connect through the test's own PgBouncer to the test's own PostgreSQL.
A stream of one-click POSTs, every server connection cut once mid-run: every POST
answers 200, is applied once, sealed into the audit chain and delivered."""

import time

import pytest
from django.conf import settings

from tests.conftest import require_service
from tests.faults import own_pgbouncer
from tests.faults.conftest import PROPAGATION_ENV, CeleryProcess, _worker_argv, wait_for
from tests.faults.own_postgres import BIN, OwnPostgres, available
from tests.faults.web_host import (
    Gunicorn,
    OneClickStream,
    flush_broker,
    migrate_and_seed,
    production_env,
)
from tests.receiver import Receiver

pytestmark = pytest.mark.faults

DB = "hush_through_pgbouncer"
SUBJECTS = 300  # x 2 topics: 600 POSTs


@pytest.fixture
def stack():
    require_service(available(), "needs PostgreSQL's server binaries "
                                 "(/usr/lib/postgresql/15/bin, or HUSH_PG_BIN)")
    require_service(own_pgbouncer.available(), "needs Debian's pgbouncer (apt-get install "
                                               "pgbouncer; .ci/run does)")
    require_service(bool(settings.CELERY_BROKER_URL),
                    "needs a broker: set CELERY_BROKER_URL=redis://...")
    pg = OwnPostgres()
    bouncer = None
    try:
        pg.init()
        pg.psql(f"CREATE DATABASE {DB}")
        bouncer = own_pgbouncer.OwnPgBouncer(pg.port, pool_size=6).start()
        yield pg, bouncer
    finally:
        if bouncer is not None:
            bouncer.remove()
        pg.remove()
        flush_broker()


def _count(pg, sql: str) -> int:
    return int(pg.psql(sql, DB))


def test_one_click_propagation_and_sealing_work_through_pgbouncer(stack, tmp_path,
                                                                  fault_report):
    pg, bouncer = stack
    direct = production_env(pg.url(DB))
    env = production_env(bouncer.url(DB), HUSH_BEHIND_TRANSACTION_POOLER="1",
                         HUSH_ONE_CLICK_JOURNAL=str(tmp_path / "journal"), **PROPAGATION_ENV)
    with Receiver() as receiver:
        rows = migrate_and_seed(direct, subjects=SUBJECTS, hook=receiver.url)
        worker = CeleryProcess(_worker_argv("--pool=prefork", "--concurrency=2"), env=env,
                               log=tmp_path / "worker.log", ready="ready.")
        beat = CeleryProcess(["beat", "--schedule", str(tmp_path / "beat-schedule"),
                              "--loglevel=INFO"], env=env, log=tmp_path / "beat.log",
                             ready="beat: Starting")
        try:
            worker.start()
            beat.start()
            with Gunicorn(env, tmp_path / "gunicorn.log") as web:
                started = time.monotonic()
                with OneClickStream(web.port, rows, threads=4, pause=0.01) as stream:
                    wait_for(lambda: stream.done >= 300, timeout=120, what="300 POSTs")
                    cut = pg.cut_connections(DB)  # PgBouncer's server connections
                elapsed = time.monotonic() - started
                failures = stream.failures()
                assert not failures, (f"{len(failures)} POSTs failed: "
                                      f"{sorted(set(map(str, failures.values())))}\n{web.tail()}")
            wait_for(lambda: len({r["headers"]["Hush-Delivery"] for r in receiver.received})
                     >= len(rows), timeout=180, every=1,
                     what=f"every opt-out delivered\n{worker.tail()}")
            # The receiver counts a delivery when it answers; the worker marks it
            # delivered only once it has read that answer.
            wait_for(lambda: _count(pg, "SELECT count(*) FROM preferences_delivery "
                                        "WHERE status = 'delivered'") >= len(rows),
                     timeout=60, every=1, what="every delivery marked delivered")
            wait_for(lambda: _count(pg, "SELECT count(*) FROM audit_auditevent "
                                        "WHERE seq IS NULL") == 0,
                     timeout=60, every=1, what="the audit trail sealed")
        finally:
            beat.stop()
            worker.stop()
    stats = {row[0]: row for row in bouncer.show("STATS", BIN / "psql")}
    transactions = int(stats[DB][1])  # total_xact_count
    unsubscribed = _count(pg, "SELECT count(*) FROM preferences_subscription "
                              "WHERE status = 'unsubscribed'")
    events = _count(pg, "SELECT count(*) FROM preferences_consentevent "
                        "WHERE source = 'one_click'")
    delivered = _count(pg, "SELECT count(*) FROM preferences_delivery "
                           "WHERE status = 'delivered'")
    assert (unsubscribed, events, delivered) == (len(rows), len(rows), len(rows))
    assert transactions > len(rows)  # the traffic really went through the pooler
    assert cut > 0
    fault_report(f"pgbouncer (transaction mode, pool of 6): {len(rows)} one-click POSTs in "
                 f"{elapsed:.1f}s, {cut} server connections cut mid-run; 0 failed; all "
                 f"applied once, delivered and sealed; {transactions} transactions through "
                 "the pooler")
