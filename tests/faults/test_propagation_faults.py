"""Propagation that never loses an opt-out: a real worker (prefork, two processes),
beat running the sweeper, Redis and PostgreSQL, and local receivers on 127.0.0.1.

Each scenario makes real changes through the services from this process, breaks
something while the deliveries are on their way, and then checks what each
receiver got: every committed change, at every destination, duplicates only as
resends of the same delivery (same payload "id", same body), and per subject in
the order the changes were made.
"""

import subprocess
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from django.db import connection

from audit.models import AuditEvent
from preferences import services
from preferences.models import ConsentEvent, Delivery, Destination, Subject, Subscription, Topic
from preferences.propagation import webhooks
from tests.conftest import require_service
from tests.faults.conftest import wait_for
from tests.receiver import Receiver

pytestmark = pytest.mark.faults

SECRET = "faults-signing-secret"
TOPICS = ("newsletter", "offers")
SUBSCRIBED, UNSUBSCRIBED = Subscription.Status.SUBSCRIBED, Subscription.Status.UNSUBSCRIBED


@dataclass
class World:
    """What the scenario changed, and where the deliveries should arrive."""

    receivers: dict[str, Receiver]
    destinations: dict[str, Destination]
    topics: dict[str, Topic]
    subjects: list[Subject] = field(default_factory=list)
    status: dict[tuple[int, str], str] = field(default_factory=dict)
    expected: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    topics_of: dict[str, set[str]] = field(default_factory=dict)  # a destination's filter
    changes: int = 0
    unsubscribes: int = 0
    changing_s: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def only(self, destination: str, *slugs: str) -> None:
        """Let a destination hear of these topics only."""
        self.destinations[destination].topics.set([self.topics[s] for s in slugs])
        self.topics_of[destination] = set(slugs)

    def expected_at(self, destination: str) -> dict[str, list[tuple[str, str, str]]]:
        """Per subject, in order, the changes this destination should hear of."""
        wanted = self.topics_of.get(destination, set(self.topics))
        per_subject = {subject: [c for c in changes if c[0] in wanted]
                       for subject, changes in self.expected.items()}
        return {subject: changes for subject, changes in per_subject.items() if changes}

    def add_subjects(self, count: int) -> list[Subject]:
        """Set-up, not under test: subjects subscribed to both topics, written in bulk."""
        first = len(self.subjects)
        made = Subject.objects.bulk_create(
            [Subject(external_id=f"faults-{first + i:05d}") for i in range(count)])
        Subscription.objects.bulk_create(
            [Subscription(subject=s, topic=t, status=SUBSCRIBED)
             for s in made for t in self.topics.values()])
        for s in made:
            for slug in self.topics:
                self.status[(s.pk, slug)] = SUBSCRIBED
        self.subjects.extend(made)
        return made

    def unsubscribe(self, subject: Subject, slug: str) -> None:
        """The one-click path, as a POST to /u/<token>/ runs it."""
        _, changed = services.subscription_unsubscribe_by_token(subject_id=subject.public_id,
                                                                topic_slug=slug)
        assert changed
        self._expect(subject, slug, UNSUBSCRIBED)
        self.unsubscribes += 1

    def resubscribe(self, subject: Subject, slug: str) -> None:
        """The preference center's way back in."""
        assert services.subscription_set(subject=subject, topic=self.topics[slug],
                                         status=SUBSCRIBED, source="preference_center",
                                         actor=subject)
        self._expect(subject, slug, SUBSCRIBED)

    def _expect(self, subject, slug, new):
        old = self.status[(subject.pk, slug)]
        self.status[(subject.pk, slug)] = new
        self.expected[str(subject.public_id)].append((slug, old, new))
        self.changes += 1

    def apply(self, plan, *, every: int = 0, between=None) -> None:
        """Make the planned changes; call `between(done)` after each `every` of them."""
        for done, (action, subject, slug) in enumerate(plan, 1):
            began = time.monotonic()
            getattr(self, action)(subject, slug)
            self.changing_s += time.monotonic() - began
            if every and between and done % every == 0:
                between(done)

    def delivered(self) -> int:
        return Delivery.objects.filter(status=Delivery.Status.DELIVERED).count()


def churn(subjects, *, flip_flop: int, offers: int):
    """A plan of changes, interleaved across subjects so that a subject's own
    changes are spread out in time. Every subject leaves the newsletter; the first
    `flip_flop` then come back and leave again; the first `offers` also leave
    offers (between the two newsletter exits, so the order spans topics)."""
    plan = [("unsubscribe", s, "newsletter") for s in subjects]
    plan += [("resubscribe", s, "newsletter") for s in subjects[:flip_flop]]
    plan += [("unsubscribe", s, "offers") for s in subjects[:offers]]
    plan += [("unsubscribe", s, "newsletter") for s in subjects[:flip_flop]]
    return plan


@pytest.fixture
def world(real_broker):
    topics = {slug: Topic.objects.create(slug=slug, name=slug.title(), channel="email")
              for slug in TOPICS}
    with Receiver() as crm, Receiver() as warehouse:
        receivers = {"crm": crm, "warehouse": warehouse}
        destinations = {
            name: Destination.objects.create(name=name, kind="webhook", url=r.url, secret=SECRET)
            for name, r in receivers.items()
        }
        yield World(receivers=receivers, destinations=destinations, topics=topics)


def settle(world: World, cluster, *, timeout: float) -> None:
    """Wait until every delivery is delivered and every receiver holds every key."""
    expected = {name: Delivery.objects.filter(destination=d).count()
                for name, d in world.destinations.items()}

    def done():
        if Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists():
            return False
        return all(len({b["id"] for b in r.bodies()}) >= expected[name]
                   for name, r in world.receivers.items())

    try:
        wait_for(done, timeout=timeout, every=0.25, what="every delivery to arrive")
    except AssertionError as exc:
        counts = Counter(Delivery.objects.values_list("destination__name", "status"))
        errors = Counter(Delivery.objects.exclude(last_error="")
                         .values_list("last_error", flat=True))
        raise AssertionError(f"{exc}\nstatus: {dict(counts)}\nerrors: {dict(errors)}\n"
                             f"{cluster.logs()}") from None
    time.sleep(0.5)  # a resend still on the wire would land now


def check(world: World) -> dict:
    """The promise, receiver by receiver; returns counts for the report."""
    assert ConsentEvent.objects.count() == world.changes
    assert Delivery.objects.count() == sum(
        len(changes) for name in world.destinations
        for changes in world.expected_at(name).values())
    assert not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()
    report = {"received": 0, "duplicates": 0}
    for name, receiver in world.receivers.items():
        keys = {str(k) for k in Delivery.objects.filter(destination=world.destinations[name])
                .values_list("key", flat=True)}
        first: dict[str, dict] = {}
        per_subject: dict[str, list[dict]] = defaultdict(list)
        for request in receiver.received:
            body = request["body"]
            assert webhooks.verify(secret=SECRET, body=request["raw"],
                                   header=request["headers"][webhooks.SIGNATURE_HEADER])
            assert request["headers"]["Hush-Delivery"] == body["id"]
            report["received"] += 1
            if body["id"] in first:  # a resend: same delivery, same body
                assert body == first[body["id"]], f"{name}: key reused for another body"
                report["duplicates"] += 1
                continue
            first[body["id"]] = body
            per_subject[body["subject"]["id"]].append(body)
        assert set(first) == keys, (
            f"{name}: {len(keys - set(first))} deliveries never arrived, "
            f"{len(set(first) - keys)} arrived that were never committed")
        expected = world.expected_at(name)
        assert set(per_subject) == set(expected)
        for subject_id, bodies in per_subject.items():
            sequences = [b["sequence"] for b in bodies]
            assert sequences == sorted(sequences), f"{name}: {subject_id} out of order"
            times = [datetime.fromisoformat(b["occurred_at"]) for b in bodies]
            assert times == sorted(times), f"{name}: {subject_id} out of order in time"
            got = [(b["topic"], b["old"], b["new"]) for b in bodies]
            assert got == expected[subject_id], f"{name}: {subject_id} got {got}"
    return report


def summary(world: World, name: str, report: dict, **extra) -> str:
    elapsed = time.monotonic() - world.started
    attempts = Counter(Delivery.objects.values_list("attempts", flat=True))
    more = "".join(f", {k.replace('_', ' ')} {v}" for k, v in extra.items())
    return (f"{name}: {elapsed:.1f}s, {world.changes} changes ({world.unsubscribes} "
            f"unsubscribes, made in {world.changing_s:.1f}s) on {len(world.subjects)} subjects, "
            f"{Delivery.objects.count()} deliveries, {report['received']} received "
            f"({report['duplicates']} duplicates), "
            f"{sum(n for a, n in attempts.items() if a > 1)} sent more than once, "
            f"max attempts {max(attempts)}{more}")


# --- 1. the receiver answers 500 for a while ----------------------------------------

def test_a_failing_receiver_gets_every_opt_out_once_it_recovers(world, celery_cluster,
                                                                 fault_report):
    """2,000 unsubscribes while crm answers 500; it is paused, probed, and resumed,
    and then gets its whole backlog. The warehouse (offers only) is not held up."""
    cluster = celery_cluster(HUSH_DESTINATION_PAUSE_AFTER="10")
    crm, warehouse = world.receivers["crm"], world.receivers["warehouse"]
    world.only("warehouse", "offers")
    subjects = world.add_subjects(1500)
    crm.fail_with(500)

    world.apply(churn(subjects, flip_flop=250, offers=250))
    assert world.unsubscribes == 2000
    wait_for(lambda: Destination.objects.filter(name="crm", paused_at__isnull=False).exists(),
             timeout=20, what="crm to be paused")
    wait_for(lambda: Delivery.objects.filter(destination__name="crm", attempts__gte=2).exists(),
             timeout=20, what="a crm delivery to fail twice")
    warehouse_total = Delivery.objects.filter(destination__name="warehouse").count()
    wait_for(lambda: len({b["id"] for b in warehouse.bodies()}) >= warehouse_total,
             timeout=45, what="the warehouse to get everything while crm fails")
    assert not crm.bodies()
    crm.recover()

    settle(world, cluster, timeout=75)
    report = check(world)
    actions = Counter(AuditEvent.objects.filter(action__startswith="destination.")
                      .values_list("action", flat=True))
    assert actions["destination.paused"] >= 1 and actions["destination.resumed"] >= 1
    assert Destination.objects.get(name="crm").paused_at is None
    assert Delivery.objects.filter(destination__name="crm", attempts__gt=1).exists()
    fault_report(summary(world, "receiver 500 then recovers", report,
                         warehouse_got_while_crm_failed=warehouse_total,
                         pauses=actions["destination.paused"]))


# --- 2. the worker is killed ---------------------------------------------------------

def test_a_killed_worker_loses_nothing(world, celery_cluster, fault_report):
    """SIGKILL to the worker and its pool, twice: once while changes are still being
    made, once while the backlog drains. Receivers answer slowly, so some requests
    arrive and are never acknowledged to the killed worker: those come again."""
    cluster = celery_cluster()
    for receiver in world.receivers.values():
        receiver.delay = 0.02
    subjects = world.add_subjects(300)
    plan = churn(subjects, flip_flop=150, offers=100)
    kills = []

    def kill():
        kills.append((Delivery.objects.exclude(status=Delivery.Status.DELIVERED).count(),
                      Delivery.objects.filter(status=Delivery.Status.IN_FLIGHT).count()))
        cluster.worker.kill()

    def kill_halfway(done):
        if done == len(plan) // 2:
            wait_for(lambda: world.delivered() > 0, timeout=20, what="a first delivery")
            kill()

    world.apply(plan, every=1, between=kill_halfway)
    cluster.worker.start()  # the changes made meanwhile waited in the broker
    total = Delivery.objects.count()
    wait_for(lambda: world.delivered() > total * 0.6, timeout=45, what="most deliveries")
    kill()
    time.sleep(1)
    cluster.worker.start()

    settle(world, cluster, timeout=60)
    report = check(world)
    assert all(open_ for open_, _ in kills), "a kill came after the work was done"
    fault_report(summary(world, "worker SIGKILL x2", report,
                         open_and_in_flight_at_each_kill=kills))


# --- 3. Redis restarts with nothing on disk -------------------------------------------

REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
               "--port", "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]


def _redis_ping() -> bool:
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"],
                            capture_output=True, text=True, timeout=5, check=False)
    return result.stdout.strip() == "PONG"


@pytest.fixture
def local_redis(real_broker):
    """The machine's Redis on 127.0.0.1:6379, which this test may restart. However
    the test ends, Redis is running again afterwards (other runs share it)."""
    from django.conf import settings

    host = settings.CELERY_BROKER_URL.split("//", 1)[-1].split("/", 1)[0]
    require_service(host in ("127.0.0.1:6379", "localhost:6379") and _redis_ping(),
                    "restarts the local Redis: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0")

    def start():
        if not _redis_ping():
            subprocess.run(REDIS_START, check=True, timeout=10)
        wait_for(_redis_ping, timeout=15, what="Redis to answer PING")

    try:
        yield start
    finally:
        start()


def test_a_redis_restart_loses_nothing(world, celery_cluster, local_redis, fault_report):
    """Redis goes away, twice, with every queued and unacknowledged message in it,
    and comes back empty; changes committed while it is down are queued only by the
    sweeper. The worker and beat reconnect on their own: neither is restarted."""
    cluster = celery_cluster()
    for receiver in world.receivers.values():
        receiver.delay = 0.02  # the worker falls behind: Redis holds a backlog
    subjects = world.add_subjects(300)
    plan = churn(subjects, flip_flop=150, offers=100)
    third = len(plan) // 3
    open_at_stop, downtime = [], []

    def reconnects():
        return cluster.worker.log.read_text(errors="replace").count("Connected to redis")

    def restart_redis(while_down):
        open_at_stop.append(Delivery.objects.exclude(status=Delivery.Status.DELIVERED).count())
        connected = reconnects()
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
                       capture_output=True, timeout=10, check=False)
        wait_for(lambda: not _redis_ping(), timeout=10, what="Redis to stop")
        stopped = time.monotonic()
        world.apply(while_down)  # committed; their messages cannot be sent
        local_redis()
        downtime.append(round(time.monotonic() - stopped, 1))
        wait_for(lambda: reconnects() > connected, timeout=30, what="the worker to reconnect")

    world.apply(plan[:third])
    wait_for(lambda: world.delivered() > 0, timeout=20, what="a first delivery")
    restart_redis(plan[third:third + 2])
    world.apply(plan[third + 2:2 * third])
    restart_redis(plan[2 * third:2 * third + 2])
    world.apply(plan[2 * third + 2:])

    settle(world, cluster, timeout=75)
    report = check(world)
    assert all(open_at_stop), "Redis stopped after the work was done"
    for process in (cluster.worker, cluster.beat):
        assert process.process.poll() is None, f"celery exited:\n{process.tail()}"
    fault_report(summary(world, "Redis restart x2", report, open_at_each_stop=open_at_stop,
                         redis_down_s=downtime))


# --- 4. PostgreSQL connections are cut -------------------------------------------------

def _terminate_other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                       "FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_cut_database_connections_lose_nothing(world, celery_cluster, fault_report):
    """The worker's connections are terminated again and again while it claims,
    sends and records, and while the changes are still being made."""
    cluster = celery_cluster()
    for receiver in world.receivers.values():
        receiver.delay = 0.01
    subjects = world.add_subjects(300)
    plan = churn(subjects, flip_flop=150, offers=100)
    cuts = []

    def cut(done):
        cuts.append(_terminate_other_backends())

    world.apply(plan, every=100, between=cut)
    total = Delivery.objects.count()
    for _ in range(6):
        if world.delivered() >= total:
            break
        time.sleep(0.5)
        cuts.append(_terminate_other_backends())

    settle(world, cluster, timeout=60)
    report = check(world)
    assert sum(cuts) > 0, "no worker connection was ever cut"
    fault_report(summary(world, "pg_terminate_backend", report,
                         cuts=len(cuts), backends_terminated=sum(cuts)))
