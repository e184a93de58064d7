"""Retention: rows older than their entry's limit are transformed (or deleted),
newer rows are untouched, and a second run changes nothing."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from anonymizer import catalog
from anonymizer.catalog import Category, PiiField
from anonymizer.retention import retention_run, retention_run_once
from audit.models import AuditEvent
from preferences.models import Delivery, Destination

OLD = timezone.now() - timedelta(days=45)
NEW = timezone.now() - timedelta(days=2)


@pytest.fixture
def deliveries(alice, bob):
    crm = Destination.objects.create(name="crm", kind="webhook", url="https://crm.invalid/h")
    rows = {}
    for name, subject, created, status in [
            ("alice_old", alice, OLD, "delivered"), ("bob_old", bob, OLD, "failed"),
            ("alice_new", alice, NEW, "delivered"),
            # Old but not finished: the outbox still owes these to the receiver.
            ("bob_old_pending", bob, OLD, "pending"),
            ("alice_old_in_flight", alice, OLD, "in_flight")]:
        rows[name] = Delivery.objects.create(
            destination=crm, subject=subject, subject_key=str(subject.public_id),
            event_type="subscription.changed", created_at=created, status=status,
            payload={"subject": {"id": str(subject.public_id),
                                 "external_id": subject.external_id}},
            last_error=f"502 from proxy for {subject.external_id}")
    return rows


KEPT = ("alice_new", "bob_old_pending", "alice_old_in_flight")


def _left(deliveries) -> set[str]:
    pks = set(Delivery.objects.values_list("pk", flat=True))
    return {name for name, row in deliveries.items() if row.pk in pks}


def test_it_deletes_old_finished_deliveries_and_keeps_the_rest(deliveries):
    result = retention_run(entry_key="preferences.delivery")
    progress = result.entries["preferences.delivery"]
    assert (progress.deleted, progress.rows) == (2, 0)
    assert _left(deliveries) == set(KEPT)
    # What is kept is kept as it was: nothing redacted, nothing nulled.
    for name in KEPT:
        row = Delivery.objects.get(pk=deliveries[name].pk)
        assert row.payload == deliveries[name].payload
        assert row.last_error == deliveries[name].last_error
        assert row.status == deliveries[name].status
    again = retention_run(entry_key="preferences.delivery")
    assert again.total == 0
    assert _left(deliveries) == set(KEPT)


def test_a_pending_delivery_finished_later_goes_on_the_next_run(deliveries):
    retention_run(entry_key="preferences.delivery")
    Delivery.objects.filter(pk=deliveries["bob_old_pending"].pk).update(status="delivered")
    assert retention_run(entry_key="preferences.delivery").total == 1
    assert _left(deliveries) == {"alice_new", "alice_old_in_flight"}


def test_each_run_is_audited_with_counts_only(deliveries):
    before = AuditEvent.objects.filter(action="retention.run").count()
    retention_run()
    events = AuditEvent.objects.filter(action="retention.run")
    assert events.count() == before + 1
    event = events.latest("id")
    assert event.actor_type == "system"
    assert event.details["entries"]["preferences.delivery"] == {
        "rows": 0, "deleted": 2, "set_based": True}
    assert event.details["total"] >= 2
    assert "alice" not in str(event.details)


def test_a_dry_run_counts_and_changes_nothing(deliveries):
    result = retention_run(entry_key="preferences.delivery", dry_run=True)
    assert result.entries["preferences.delivery"].deleted == 2
    assert _left(deliveries) == set(deliveries)
    assert AuditEvent.objects.filter(action="retention.dry_run").exists()


def test_it_works_in_batches_and_reports_progress(deliveries):
    for _ in range(4):
        d = deliveries["bob_old"]
        d.pk, d.key = None, uuid.uuid4()
        d.save()
    seen = []
    result = retention_run(entry_key="preferences.delivery", batch_size=2,
                           progress=lambda state: seen.append(state.deleted))
    # Ranges of two deletable keys: the kept rows between them stay.
    assert result.entries["preferences.delivery"].deleted == 6
    assert result.entries["preferences.delivery"].batches == len(seen) == 3
    assert seen == [2, 4, 6]
    assert _left(deliveries) == set(KEPT)
    assert Delivery.objects.count() == 3


def test_the_catalog_says_which_deliveries_retention_may_delete():
    entry = catalog.entry("preferences.delivery")
    assert entry.deletes_rows_on_retention
    described = catalog._entry_dict(entry)["retention_filter"]
    assert "delivered" in described and "failed" in described
    assert "pending" not in described


def test_a_retention_filter_must_be_a_q():
    with pytest.raises(ValueError, match="must be a Q"):
        catalog.register(Delivery, subject="subject_key", retention=timedelta(days=1),
                         timestamp="created_at", retention_filter="status = 'failed'",
                         fields=[PiiField("last_error", Category.FREE_TEXT, retain="delete")])
    assert catalog.entry("preferences.delivery").retention_filter is not None


def test_expired_sessions_are_deleted(db):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    expired, live = SessionStore(), SessionStore()
    for store in (expired, live):
        store["_auth_user_id"] = "1"
        store.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1))
    result = retention_run(entry_key="sessions.session")
    assert result.entries["sessions.session"].deleted == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# --- external tables -------------------------------------------------------------

@pytest.fixture
def old_customers(shop, shop_sql):
    shop_sql("ALTER TABLE customers ADD COLUMN born date")
    shop_sql(
        "INSERT INTO customers (email, phone, last_ip, born, notes, created_at) VALUES "
        "('alice@example.com', '+44 20 7946 0001', '203.0.113.7', '1990-05-17', "
        "'{\"note\": \"x\"}', now() - interval '400 days'), "
        "('bob@example.org', '+33 1 23 45 67 89', '2001:db8:1234:5678::1', '1985-11-02', "
        "NULL, now() - interval '400 days'), "
        "('carol@example.net', '+1 202 555 0143', '198.51.100.20', '2000-01-30', "
        "NULL, now() - interval '10 days')")
    return catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        retention=timedelta(days=365), timestamp="created_at",
        fields=[PiiField("email", Category.CONTACT, retain="pseudonymise", kind="EMAIL"),
                PiiField("phone", Category.CONTACT, retain="mask", kind="PHONE"),
                PiiField("last_ip", Category.NETWORK, retain="generalize", kind="IP_ADDRESS"),
                PiiField("born", Category.DEMOGRAPHIC, retain="generalize",
                         kind="DATE_OF_BIRTH", level="year"),
                PiiField("notes", Category.FREE_TEXT, retain="redact")])


def _customers(shop_sql):
    return shop_sql("SELECT email, phone, last_ip, born::text, notes::text FROM customers "
                    "ORDER BY id")


def test_it_transforms_old_rows_of_an_external_table(old_customers, shop_sql):
    result = retention_run(entry_key=old_customers.key)
    progress = result.entries[old_customers.key]
    assert progress.set_based  # IP, date and redact in SQL; the rest in Python
    alice, bob, carol = _customers(shop_sql)
    assert alice[0].startswith("pseu_") and bob[0].startswith("pseu_")
    assert alice[1] == "**********01" and bob[1].endswith("89") and "23 45" not in bob[1]
    assert (alice[2], bob[2]) == ("203.0.113.0/24", "2001:db8:1234::/48")
    assert (alice[3], bob[3]) == ("1990-01-01", "1985-01-01")
    assert alice[4] == '"[REDACTED]"' and bob[4] is None
    assert carol == ("carol@example.net", "+1 202 555 0143", "198.51.100.20", "2000-01-30",
                     None)
    before = _customers(shop_sql)
    assert retention_run(entry_key=old_customers.key).total == 0
    assert _customers(shop_sql) == before


def test_python_and_sql_paths_agree(old_customers, shop_sql):
    retention_run(entry_key=old_customers.key, set_based=False)
    alice, bob, _ = _customers(shop_sql)
    assert (alice[2], bob[2]) == ("203.0.113.0/24", "2001:db8:1234::/48")
    assert alice[3] == "1990-01-01"
    assert alice[4] == '"[REDACTED]"'


def test_an_unreadable_address_falls_back_to_python(shop, shop_sql):
    shop_sql("INSERT INTO customers (last_ip, created_at) VALUES "
             "('198.51.100.77', now() - interval '2 days'), "
             "('999.1.1.1', now() - interval '2 days')")
    entry = catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        retention=timedelta(days=1), timestamp="created_at",
        fields=[PiiField("last_ip", Category.NETWORK, retain="generalize", kind="IP_ADDRESS")])
    result = retention_run(entry_key=entry.key)
    assert result.total == 2
    assert shop_sql("SELECT last_ip FROM customers ORDER BY id") == [("198.51.100.0/24",),
                                                                     (None,)]


def test_a_table_without_a_primary_key_is_paged_by_ctid(shop, shop_sql):
    shop_sql("CREATE TABLE logins (ip inet, at timestamptz)")
    shop_sql("INSERT INTO logins SELECT ('10.1.' || (i % 250) || '.' || (i % 200))::inet, "
             "now() - interval '40 days' FROM generate_series(1, 2000) i")
    shop_sql("INSERT INTO logins VALUES ('10.9.9.9', now())")
    entry = catalog.register_external(
        database="shop", table="logins", subject="ip", subject_by="external_id",
        retention=timedelta(days=30), timestamp="at",
        fields=[PiiField("ip", Category.NETWORK, retain="generalize", kind="IP_ADDRESS")])
    result = retention_run(entry_key=entry.key, batch_size=500)
    assert result.total == 2000 and result.entries[entry.key].batches >= 2
    assert shop_sql("SELECT count(*) FROM logins WHERE masklen(ip) = 24") == [(2000,)]
    assert shop_sql("SELECT host(ip), masklen(ip) FROM logins WHERE at > now() - "
                    "interval '1 day'") == [("10.9.9.9", 32)]


def test_external_rows_can_be_deleted_when_old(shop, shop_sql):
    shop_sql("INSERT INTO customers (email, created_at) VALUES "
             "('old@example.com', now() - interval '100 days'), ('new@example.com', now())")
    entry = catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        retention=timedelta(days=90), timestamp="created_at",
        fields=[PiiField("email", Category.CONTACT, retain="delete")])
    assert retention_run(entry_key=entry.key, dry_run=True).entries[entry.key].deleted == 1
    assert retention_run(entry_key=entry.key).entries[entry.key].deleted == 1
    assert shop_sql("SELECT email FROM customers") == [("new@example.com",)]


# --- the task and the command ----------------------------------------------------

def test_beat_runs_the_purge_every_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["retention-purge"]
    assert entry["task"] == "anonymizer.retention_run"
    assert entry["schedule"] == settings.HUSH_RETENTION_INTERVAL == 24 * 3600


def test_the_task_runs_retention(postgres, deliveries):
    from anonymizer.tasks import retention_run

    summary = retention_run.delay().get()
    assert summary["entries"]["preferences.delivery"]["deleted"] == 2
    assert _left(deliveries) == set(KEPT)


def test_overlapping_runs_do_not_both_run(deliveries):
    from django.core.cache import cache

    cache.add("hush:retention-run", 1)
    assert retention_run_once() == {"skipped": True}
    cache.delete("hush:retention-run")
    assert retention_run_once()["total"] >= 2


def test_the_command_reports_per_entry(postgres, deliveries, capsys):
    call_command("retention_run", "--entry", "preferences.delivery", "--dry-run")
    out = capsys.readouterr().out
    assert "preferences.delivery: would change 0 rows, would delete 2" in out
    assert _left(deliveries) == set(deliveries)
    call_command("retention_run", "--entry", "preferences.delivery")
    out = capsys.readouterr().out
    assert "preferences.delivery: changed 0 rows, deleted 2 (SQL" in out
    assert _left(deliveries) == set(KEPT)
    with pytest.raises(CommandError, match="no catalog entry"):
        call_command("retention_run", "--entry", "nope.nope")
    with pytest.raises(CommandError, match="no retention"):
        call_command("retention_run", "--entry", "preferences.subject")


def test_feedback_comments_are_dropped_after_a_year_and_the_counts_stay(db, newsletter):
    from preferences.models import Feedback

    old = Feedback.objects.create(topic=newsletter, reason="other", country="FR",
                                  comment="too many mails [PERSON] said",
                                  created_at=timezone.now() - timedelta(days=400))
    new = Feedback.objects.create(topic=newsletter, reason="other", country="GB",
                                  comment="weekly would be better")
    result = retention_run(entry_key="preferences.feedback")
    assert result.entries["preferences.feedback"].rows == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.comment, old.reason, old.country) == ("", "other", "FR")
    assert new.comment == "weekly would be better"
