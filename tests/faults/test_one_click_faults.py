"""One-click under fire, tried from outside as a mail provider would: gunicorn with 2
workers on production settings, a steady stream of one-click POSTs over 127.0.0.1
(each sent once: a mail client does not retry), and PostgreSQL terminating every
connection of the web processes mid-run, five times. Not one POST may fail, and
every opt-out is applied once. It uses a PostgreSQL of its own, never the shared one.
"""

import time

import pytest
from django.conf import settings

from tests.conftest import require_service
from tests.faults.conftest import wait_for
from tests.faults.own_postgres import OwnPostgres, available
from tests.faults.web_host import (
    Gunicorn,
    OneClickStream,
    flush_broker,
    migrate_and_seed,
    production_env,
)

pytestmark = pytest.mark.faults

DB = "hush_one_click_faults"
SUBJECTS = 300  # x 2 topics: 600 POSTs


@pytest.fixture
def own_pg():
    require_service(available(), "needs PostgreSQL's server binaries "
                                 "(/usr/lib/postgresql/15/bin, or HUSH_PG_BIN)")
    require_service(bool(settings.CELERY_BROKER_URL),
                    "needs a broker: set CELERY_BROKER_URL=redis://...")
    pg = OwnPostgres()
    try:
        pg.init()
        pg.psql(f"CREATE DATABASE {DB}")
        yield pg
    finally:
        pg.remove()
        flush_broker()


def _count(pg, sql: str) -> int:
    return int(pg.psql(sql, DB))


def test_no_one_click_post_fails_when_every_connection_is_terminated(
        own_pg, tmp_path, fault_report):
    env = production_env(own_pg.url(DB))
    rows = migrate_and_seed(env, subjects=SUBJECTS, hook="http://127.0.0.1:9/hook")
    cuts, terminated = 0, 0
    with Gunicorn(env, tmp_path / "gunicorn.log") as web:
        started = time.monotonic()
        with OneClickStream(web.port, rows, threads=4, pause=0.01) as stream:
            for mark in (100, 200, 300, 400, 500):
                wait_for(lambda mark=mark: stream.done >= mark, timeout=120,
                         what=f"{mark} POSTs answered")
                terminated += own_pg.cut_connections(DB)
                cuts += 1
        elapsed = time.monotonic() - started
        failures = stream.failures()
        assert not failures, (f"{len(failures)} of {len(rows)} POSTs failed: "
                              f"{sorted(set(failures.values()), key=str)}\n{web.tail()}")
    assert len(stream.answers) == len(rows)
    assert terminated >= cuts * 2  # both web workers' connections, each time
    unsubscribed = _count(own_pg, "SELECT count(*) FROM preferences_subscription "
                                  "WHERE status = 'unsubscribed'")
    events = _count(own_pg, "SELECT count(*) FROM preferences_consentevent "
                            "WHERE source = 'one_click'")
    twice = _count(own_pg, "SELECT count(*) FROM (SELECT 1 FROM preferences_consentevent "
                           "GROUP BY subject_id, topic_id HAVING count(*) > 1) x")
    outbox = _count(own_pg, "SELECT count(*) FROM preferences_delivery")
    assert (unsubscribed, events, twice, outbox) == (len(rows), len(rows), 0, len(rows))
    fault_report(f"one-click: {len(rows)} POSTs in {elapsed:.1f}s from 4 senders; every "
                 f"connection terminated {cuts} times ({terminated} backends); 0 failed, "
                 "each applied once")
