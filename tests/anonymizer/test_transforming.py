"""The transforming engine erasure and retention share: the marks of a value already
transformed, which fields changed, set-based and Python paths agreeing."""

from datetime import date, timedelta

import pytest
from django.db import transaction

from anonymizer import catalog
from anonymizer.catalog import Category, PiiField
from anonymizer.erasure.targets import erase_entry
from anonymizer.policies import field_apply
from anonymizer.retention import retention_run
from anonymizer.transforming.markers import value_marked
from preferences.models import DataExport, Delivery, Destination


@pytest.mark.parametrize(("transform", "kind", "value", "marked"), [
    ("pseudonymise", "EMAIL", "pseu_0123abcd", True),
    ("pseudonymise", "EMAIL", "alice@example.com", False),
    ("pseudonymise", "EMAIL", "p0123456789abcdef@pseudonym.invalid", True),
    ("mask", "EMAIL", "p0123456789abcdef@pseudonym.invalid", True),
    ("tokenize", None, "tok_abc", True),
    ("tokenize", None, "pseu_abc", False),
    ("mask", "PHONE", "*********01", True),
    ("mask", "IP_ADDRESS", "203.0.113.0/24", True),
    ("mask", "PHONE", "+44 20 7946 0001", False),
    ("generalize", "IP_ADDRESS", "2001:db8:1234::/48", True),
    ("generalize", "IP_ADDRESS", "203.0.113.7", False),
    ("generalize", "DATE_OF_BIRTH", "1990", True),
    ("generalize", "DATE_OF_BIRTH", "1990-05", True),
    ("generalize", "DATE_OF_BIRTH", "1990-05-17", False),
    ("generalize", "DATE_OF_BIRTH", date(1990, 5, 17), False),
    ("redact", "EMAIL", "pseu_0123abcd", False),  # a constant: "done" is "equals it"
    ("null", None, "", True),
    ("null", None, None, True),
])
def test_a_value_a_transform_made_is_marked_as_done(transform, kind, value, marked):
    assert value_marked(transform, kind, value) is marked


@pytest.mark.parametrize(("transform", "kind", "value"), [
    ("pseudonymise", "EMAIL", "alice@example.com"),
    ("mask", "PHONE", "+44 20 7946 0001"),
    ("mask", "EMAIL", "alice@example.com"),
    ("mask", "IP_ADDRESS", "203.0.113.7"),
    ("generalize", "IP_ADDRESS", "2001:db8:1234:5678::1"),
    ("generalize", "DATE_OF_BIRTH", "17/05/1990"),
])
def test_what_a_transform_makes_is_marked(db, transform, kind, value):
    assert value_marked(transform, kind, field_apply(transform, value, kind=kind))


def _exports(subject):
    return DataExport.objects.filter(subject=subject)


def test_erasure_through_a_join_reports_the_fields_it_changed(db, alice, bob):
    # Consent events would do as well, but they are append-only: exports are reached
    # the same way, through the subject's public id.
    for subject in (alice, bob):
        for name in ("a.zip.enc", "b.zip.enc", ""):
            DataExport.objects.create(subject=subject, source="api", file_name=name)
    entry = catalog.register(DataExport, subject="subject__public_id", fields=[
        PiiField("file_name", Category.FREE_TEXT, erase="redact"),
        PiiField("status", Category.FREE_TEXT, erase=None)])
    ids = {"public_id": str(alice.public_id)}
    holding = _exports(alice).exclude(file_name="").count()
    assert holding == 2 and erase_entry(entry, ids) == (holding, ["file_name"])
    assert set(_exports(alice).exclude(file_name="").values_list("file_name", flat=True)) \
        == {"[REDACTED]"}
    assert "[REDACTED]" not in set(_exports(bob).values_list("file_name", flat=True))
    assert erase_entry(entry, ids) == (0, [])


def test_a_value_sql_cannot_read_is_finished_in_python_inside_the_steps_transaction(
        postgres, alice):
    entry = catalog.register(Delivery, subject="subject_key", fields=[
        PiiField("last_error", Category.NETWORK, erase="generalize", kind="IP_ADDRESS")])
    Delivery.objects.all().delete()
    crm = Destination.objects.create(name="crm", kind="webhook", url="https://crm.invalid/h")
    kept = {"destination": crm, "subject": alice, "subject_key": str(alice.public_id),
            "event_type": "subscription.changed", "payload": {}}
    Delivery.objects.create(**kept, last_error="203.0.113.7")
    Delivery.objects.create(**kept, last_error="unknown")
    with transaction.atomic():
        assert erase_entry(entry, {"public_id": str(alice.public_id)}) == (2, ["last_error"])
        assert sorted(Delivery.objects.values_list("last_error", flat=True)) == [
            "", "203.0.113.0/24"]
    assert erase_entry(entry, {"public_id": str(alice.public_id)}) == (0, [])


@pytest.fixture
def tickets(shop, shop_sql):
    """A table without a primary key (rows keyed by ctid)."""
    shop_sql("CREATE TABLE tickets (customer_ref text, body text, ip text, opened date)")
    shop_sql("INSERT INTO tickets VALUES ('alice-1', 'parcel lost', '203.0.113.7', "
             "now() - interval '400 days'), ('alice-1', NULL, NULL, now()), "
             "('bob-2', 'refund', '198.51.100.4', now() - interval '400 days')")


def test_erasure_of_an_external_table_without_a_key_reports_fields_once(tickets, shop_sql):
    entry = catalog.register_external(
        database="shop", table="tickets", subject="customer_ref", subject_by="external_id",
        fields=[PiiField("body", Category.FREE_TEXT, erase="redact"),
                PiiField("ip", Category.NETWORK, erase="mask", kind="IP_ADDRESS")])
    ids = {"external_id": "alice-1"}
    # body in SQL, ip in Python: by ctid, so both run in Python and rows count once
    assert erase_entry(entry, ids) == (1, ["body", "ip"])
    assert shop_sql("SELECT body, ip FROM tickets ORDER BY customer_ref, body") == [
        ("[REDACTED]", "203.0.113.0/24"), (None, None), ("refund", "198.51.100.4")]
    assert erase_entry(entry, ids) == (0, [])


def test_erasure_counts_a_row_both_paths_change_once(shop, shop_sql):
    shop_sql("INSERT INTO customers (email, phone) VALUES ('alice@example.com', '+44 20 "
             "7946 0001'), ('alice@example.com', NULL), ('bob@example.org', '+33 1 23')")
    entry = catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT, erase="pseudonymise", kind="EMAIL"),
                PiiField("phone", Category.CONTACT, erase="null")])
    assert erase_entry(entry, {"email": "alice@example.com"}) == (2, ["email", "phone"])
    assert shop_sql("SELECT count(*) FROM customers WHERE email LIKE 'pseu_%'") == [(2,)]


def test_what_retention_pseudonymised_erasure_leaves_alone(tickets, shop_sql):
    entry = catalog.register_external(
        database="shop", table="tickets", subject="customer_ref", subject_by="external_id",
        retention=timedelta(days=365), timestamp="opened",
        fields=[PiiField("customer_ref", Category.IDENTIFIER, erase=None),
                PiiField("body", Category.FREE_TEXT, erase="pseudonymise",
                         retain="pseudonymise")])
    assert retention_run(entry_key=entry.key).total == 2
    (pseudonym,) = shop_sql("SELECT body FROM tickets WHERE customer_ref = 'alice-1' "
                            "AND body IS NOT NULL")[0]
    assert pseudonym.startswith("pseu_")
    assert erase_entry(entry, {"external_id": "alice-1"}) == (0, [])
    assert shop_sql("SELECT body FROM tickets WHERE customer_ref = 'alice-1' "
                    "AND body IS NOT NULL") == [(pseudonym,)]
