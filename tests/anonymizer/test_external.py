"""The company's own database, reached through the catalog's external entries."""

import psycopg
import pytest

from anonymizer import catalog, external
from anonymizer.catalog import Category, PiiField

ALICE = "Alice@Example.com"


@pytest.fixture
def customers(shop, shop_sql):
    shop_sql("INSERT INTO customers (email, full_name, phone, last_ip) VALUES "
             "(%s, 'Alice Liddell', '+44 20 7946 0001', '203.0.113.7'), "
             "('alice@example.com', 'A. Liddell', NULL, '203.0.113.9'), "
             "('bob@example.org', 'Bob Stone', '+33 1 23 45 67 89', '198.51.100.4')", [ALICE])
    return catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT, erase="redact", kind="EMAIL"),
                PiiField("full_name", Category.IDENTIFIER, erase="null", kind="PERSON"),
                PiiField("phone", Category.CONTACT, erase="null", kind="PHONE")])


def test_it_finds_a_subjects_rows_whatever_the_case_of_the_email(customers):
    rows = external.external_rows(customers, "alice@example.com")
    assert sorted(r["full_name"] for r in rows) == ["A. Liddell", "Alice Liddell"]
    assert set(rows[0]) == {"email", "full_name", "phone"}
    assert external.external_count(customers, "ALICE@example.COM") == 2
    assert external.external_count(customers, "carol@example.net") == 0


def test_it_updates_only_catalogued_columns_of_the_subjects_rows(customers, shop_sql):
    assert external.external_update(customers, "alice@example.com", {"phone": None}) == 2
    assert shop_sql("SELECT count(*) FROM customers WHERE phone IS NOT NULL") == [(1,)]
    with pytest.raises(ValueError, match="not catalogued: plan"):
        external.external_update(customers, "alice@example.com", {"plan": "gold"})


def test_it_erases_with_the_fields_transforms_and_is_idempotent(customers, shop_sql):
    def transform(field, value):
        return "[EMAIL]" if field.erase == "redact" else None

    assert external.external_erase(customers, "alice@example.com", transform=transform) == 2
    # The subject column was erased too, so the identifier finds nothing more.
    assert external.external_count(customers, "alice@example.com") == 0
    assert shop_sql("SELECT email, full_name, phone FROM customers ORDER BY id") == [
        ("[EMAIL]", None, None), ("[EMAIL]", None, None),
        ("bob@example.org", "Bob Stone", "+33 1 23 45 67 89")]
    assert external.external_erase(customers, "alice@example.com", transform=transform) == 0


def test_it_deletes_rows_when_the_entry_erases_rows(shop, shop_sql):
    shop_sql("CREATE SCHEMA crm")
    shop_sql("CREATE TABLE crm.notes (customer_ref text, body text)")
    shop_sql("INSERT INTO crm.notes VALUES ('alice-1', 'called'), ('alice-1', 'wrote'), "
             "('bob-2', 'called')")
    notes = catalog.register_external(
        database="shop", table="crm.notes", subject="customer_ref", subject_by="external_id",
        erase_rows=True, fields=[PiiField("body", Category.FREE_TEXT)])
    assert external.external_erase(notes, "alice-1") == 2
    assert shop_sql("SELECT customer_ref FROM crm.notes") == [("bob-2",)]


def test_one_connection_holds_several_steps_in_one_transaction(customers, shop_sql):
    with pytest.raises(RuntimeError), external.external_connect("shop") as conn:
        external.external_update(customers, "alice@example.com", {"phone": None}, conn=conn)
        external.external_delete(customers, "bob@example.org", conn=conn)
        raise RuntimeError("a later step fails")
    assert shop_sql("SELECT count(*) FROM customers WHERE phone IS NOT NULL") == [(2,)]


def test_names_are_quoted_not_formatted(shop, shop_sql):
    # A table name that would be SQL if pasted in is only ever an identifier.
    shop_sql('CREATE TABLE "odd; name" ("e-mail" text)')
    shop_sql('INSERT INTO "odd; name" VALUES (%s)', ["alice@example.com"])
    odd = catalog.register_external(database="shop", table="odd; name", subject="e-mail",
                                    subject_by="email",
                                    fields=[PiiField("e-mail", Category.CONTACT)])
    assert external.external_count(odd, "alice@example.com") == 1
    assert external.external_delete(odd, "alice@example.com") == 1


def test_it_lists_text_columns_for_the_audit(shop):
    with external.external_connect("shop") as conn:
        columns = external.text_columns(conn)
    assert ("public", "customers", "email", "text") in columns
    assert ("public", "customers", "notes", "jsonb") in columns
    assert ("public", "customers", "full_name", "character varying") in columns
    assert not any(c[2] in {"id", "created_at"} for c in columns)


def test_an_unknown_database_is_a_clear_error(settings):
    settings.HUSH_EXTERNAL_DATABASES = {}
    with pytest.raises(Exception, match="no external database 'shop'"):
        external.external_connect("shop")


def test_a_subjects_identifier_comes_from_the_named_attribute(alice):
    assert external.subject_identifier(alice, "external_id") == "alice-1"
    assert external.subject_identifier(alice, "public_id") == str(alice.public_id)
    assert external.subject_identifier(alice, "email") == "alice@example.com"


def test_a_wrong_password_fails_without_echoing_it(shop, settings):
    settings.HUSH_EXTERNAL_DATABASES = {"shop": shop.replace("postgresql://postgres",
                                                             "postgresql://nobody:s3cret")}
    with pytest.raises(psycopg.OperationalError) as raised:
        external.external_connect("shop")
    assert "s3cret" not in str(raised.value)
