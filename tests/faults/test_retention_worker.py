"""Retention on a real worker and beat: beat schedules the purge, the worker runs it
against PostgreSQL, Hush's own tables and a company table declared in the catalog file."""

from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from psycopg import sql

from audit.models import AuditEvent
from preferences.models import Delivery, Destination
from tests.anonymizer.conftest import _server_url
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults

CATALOG = """
[[tables]]
database = "shop"
table = "logins"
subject = "customer_email"
subject_by = "email"
retention_days = 30
timestamp = "at"

[[tables.fields]]
name = "ip"
category = "network"
retain = "generalize"
kind = "IP_ADDRESS"
"""


@pytest.fixture
def shop_url(real_broker):
    name = f"{connection.settings_dict['NAME']}_ext_faults"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _server_url(name)
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
            admin.execute(drop)


def test_beat_and_the_worker_apply_retention(celery_cluster, alice, shop_url, tmp_path,
                                             fault_report):
    crm = Destination.objects.create(name="crm", kind="webhook", url="https://crm.invalid/")
    # A switched-off destination keeps its backlog pending (the sweeper leaves it be),
    # however old: retention must not delete what the outbox still owes.
    erp = Destination.objects.create(name="erp", kind="webhook", url="https://erp.invalid/",
                                     enabled=False)
    old, new, old_pending = [
        Delivery.objects.create(destination=to, subject=alice, subject_key=str(alice.public_id),
                                event_type="subscription.changed", status=status,
                                payload={"subject": {"external_id": "alice-1"}},
                                created_at=timezone.now() - timedelta(days=days))
        for to, days, status in ((crm, 90, "delivered"), (crm, 1, "delivered"),
                                 (erp, 90, "pending"))]
    with psycopg.connect(shop_url, autocommit=True) as shop:
        shop.execute("CREATE TABLE logins (id bigserial PRIMARY KEY, customer_email text, "
                     "ip text, at timestamptz)")
        shop.execute("INSERT INTO logins (customer_email, ip, at) VALUES "
                     "('alice@example.com', '203.0.113.7', now() - interval '40 days'), "
                     "('alice@example.com', '203.0.113.8', now())")
    catalog_file = tmp_path / "catalog.toml"
    catalog_file.write_text(CATALOG)

    cluster = celery_cluster(HUSH_RETENTION_INTERVAL="5",
                             HUSH_EXTERNAL_DATABASES=f"shop={shop_url}",
                             HUSH_PII_CATALOG_FILE=str(catalog_file))
    event = wait_for(lambda: AuditEvent.objects.filter(action="retention.run").first(),
                     timeout=60, what=f"a retention run\n{cluster.logs()}")

    # The old finished delivery is gone; the new one and the old pending one are
    # untouched (the outbox still owes that one to the receiver).
    assert not Delivery.objects.filter(pk=old.pk).exists()
    for kept in (new, old_pending):
        row = Delivery.objects.get(pk=kept.pk)
        assert (row.payload, row.status) == ({"subject": {"external_id": "alice-1"}},
                                             kept.status)
    with psycopg.connect(shop_url) as shop:
        assert shop.execute("SELECT ip FROM logins ORDER BY id").fetchall() == [
            ("203.0.113.0/24",), ("203.0.113.8",)]
    counts = event.details["entries"]
    assert counts["preferences.delivery"] == {"rows": 0, "deleted": 1, "set_based": True}
    assert counts["external:shop.logins"] == {"rows": 1, "deleted": 0, "set_based": True}
    assert event.actor_type == "system"

    # The next beat tick runs again: nothing left to do, the kept rows stay, and
    # each run records one audit event (the deletion is counted once, not twice).
    wait_for(lambda: AuditEvent.objects.filter(action="retention.run").count() >= 2,
             timeout=60, what=f"a second retention run\n{cluster.logs()}")
    first, second = AuditEvent.objects.filter(action="retention.run").order_by("id")[:2]
    assert first.pk == event.pk
    assert second.details["total"] == 0
    assert second.details["entries"]["preferences.delivery"]["deleted"] == 0
    assert set(Delivery.objects.values_list("pk", flat=True)) == {new.pk, old_pending.pk}
    fault_report(f"retention on a real worker: {event.details['total']} rows via beat")
