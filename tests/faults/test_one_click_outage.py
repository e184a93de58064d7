"""Opt-outs accepted while the database is down, tried from outside: gunicorn (2
workers), a Celery worker and beat, one webhook destination, and a stream of 2,000
one-click POSTs during which PostgreSQL (the test's own) is stopped for 30 s, and one
web worker is SIGKILLed while it is down. Every POST answered 200 is applied once in
effect, audited and delivered to the destination, in order per subject; the
preference center and the API answer 503 with Retry-After meanwhile."""

import time
from collections import defaultdict

import pytest
from django.conf import settings

from tests.conftest import require_service
from tests.faults.conftest import PROPAGATION_ENV, CeleryProcess, _worker_argv, wait_for
from tests.faults.own_postgres import OwnPostgres, available
from tests.faults.web_host import (
    Gunicorn,
    OneClickStream,
    flush_broker,
    get,
    migrate_and_seed,
    production_env,
)
from tests.receiver import Receiver

pytestmark = pytest.mark.faults

DB = "hush_one_click_outage"
SUBJECTS = 1000  # x 2 topics: 2,000 POSTs
OUTAGE_S = 30


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


def test_opt_outs_accepted_while_postgres_is_down_are_applied_once_and_in_order(
        own_pg, tmp_path, fault_report):
    journal_dir = tmp_path / "journal"
    env = production_env(own_pg.url(DB), HUSH_ONE_CLICK_JOURNAL=str(journal_dir),
                         HUSH_ONE_CLICK_REPLAY_INTERVAL="2", **PROPAGATION_ENV)
    with Receiver() as receiver:
        rows = migrate_and_seed(env, subjects=SUBJECTS, hook=receiver.url)
        worker = CeleryProcess(_worker_argv("--pool=prefork", "--concurrency=2"), env=env,
                               log=tmp_path / "worker.log", ready="ready.")
        beat = CeleryProcess(["beat", "--schedule", str(tmp_path / "beat-schedule"),
                              "--loglevel=INFO"], env=env, log=tmp_path / "beat.log",
                             ready="beat: Starting")
        try:
            worker.start()
            beat.start()
            with Gunicorn(env, tmp_path / "gunicorn.log") as web:
                center = f"/p/{rows[0][3]}/"
                assert get(web.port, center)[0] == 200
                with OneClickStream(web.port, rows, threads=4, pause=0.1) as stream:
                    wait_for(lambda: stream.done >= 400, timeout=120, what="400 POSTs")
                    own_pg.stop("fast")
                    down_at, stopped = stream.done, time.monotonic()
                    wait_for(lambda: journal_dir.joinpath("live.jsonl").exists(),
                             timeout=20, what="an opt-out journaled")
                    page = get(web.port, center)
                    api = get(web.port, "/api/v1/subjects/x",
                              headers={"Authorization": "Api-Key abcd1234.not-a-real-key"})
                    killed = web.kill_worker()
                    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
                    own_pg.start()
                    up_at = stream.done
                failures = stream.failures()
                # The one request the killed worker was serving, if any, got no answer
                # (not a 200: the mail client was told nothing). Nothing else may fail.
                assert len(failures) <= 1 and all(
                    str(f).startswith(("RemoteDisconnected", "ConnectionResetError"))
                    for f in failures.values()), (
                    f"{len(failures)} POSTs failed: "
                    f"{sorted(set(map(str, failures.values())))}\n{web.tail()}")
                assert len(stream.answers) == len(rows)
                answered = {(rows[i][0], rows[i][1]) for i, (status, _) in
                            stream.answers.items() if status == 200}
                assert up_at - down_at > 200  # many opt-outs arrived while it was down
                assert up_at < len(rows)  # and more after it was back

                assert (page[0], page[2].get("Retry-After")) == (503, "30"), page[:2]
                assert b"Traceback" not in page[1]
                assert (api[0], api[2].get("Retry-After")) == (503, "30"), api[:2]
                assert b'"unavailable"' in api[1]

                def applied():
                    return _count(own_pg, "SELECT count(*) FROM preferences_subscription "
                                          "WHERE status = 'unsubscribed'") >= len(answered)

                wait_for(applied, timeout=180, every=1, what="every opt-out applied")
                wait_for(lambda: not any(journal_dir.rglob("*.jsonl")), timeout=60,
                         what="the journal emptied")
            wait_for(lambda: len({r["headers"]["Hush-Delivery"] for r in receiver.received})
                     >= len(answered), timeout=240, every=1, what="every opt-out delivered")
        finally:
            beat.stop()
            worker.stop()

    events = _count(own_pg, "SELECT count(*) FROM preferences_consentevent "
                            "WHERE source = 'one_click'")
    twice = _count(own_pg, "SELECT count(*) FROM (SELECT 1 FROM preferences_consentevent "
                           "GROUP BY subject_id, topic_id HAVING count(*) > 1) x")
    audited = _count(own_pg, "SELECT count(*) FROM audit_auditevent "
                             "WHERE action = 'consent.changed'")
    outbox = _count(own_pg, "SELECT count(*) FROM preferences_delivery")
    journaled = _count(own_pg, "SELECT count(*) FROM preferences_journaledoptout")
    unsubscribed = set(tuple(line.split("|")) for line in own_pg.psql(
        "SELECT j.public_id, t.slug FROM preferences_subscription s JOIN preferences_subject j "
        "ON j.id = s.subject_id JOIN preferences_topic t ON t.id = s.topic_id "
        "WHERE s.status = 'unsubscribed'", DB).splitlines())
    assert answered <= unsubscribed  # every 200 was applied
    assert len(unsubscribed) - len(answered) <= 1  # (the killed request's may have been)
    applied_n = len(unsubscribed)
    assert (events, twice, audited, outbox) == (applied_n, 0, applied_n, applied_n)
    assert journaled >= up_at - down_at - 8  # (the few in flight as it stopped may have committed)

    # In order per subject: each subject's topics reach the destination as they were sent.
    first_seen: dict[str, list[str]] = defaultdict(list)
    seen = set()
    for request in receiver.received:
        key = request["headers"]["Hush-Delivery"]
        if key in seen:
            continue  # a resend of a delivered event (at least once); same key
        seen.add(key)
        body = request["body"]
        first_seen[body["subject"]["id"]].append(body["topic"])
    sent = defaultdict(list)
    for subject, topic, *_ in rows:
        if (subject, topic) in unsubscribed:
            sent[subject].append(topic)
    assert first_seen == sent
    fault_report(
        f"one-click outage: {len(rows)} POSTs; PostgreSQL stopped {OUTAGE_S}s after "
        f"{down_at}, {up_at - down_at} answered 200 while down (journaled: {journaled}), "
        f"web worker {killed} SIGKILLed while down ({len(failures)} request in flight on it "
        f"unanswered); every 200 applied once, {len(seen)} delivered in order per subject; "
        "center and API 503 + Retry-After")
