"""Erasures survive a backup restore: last night's pg_dump of Hush's database and of
the company's shop database is taken, three subjects are erased on a real worker (carol
also has rows in the shop), both dumps are restored into the same databases, which
brings all three back, and `erasure replay` erases them again from the ledger kept
outside the database. The verification pass and a search of a fresh pg_dump of both
databases then find none of their identifiers; bob, never erased, is still there."""
# ruff: noqa: F811  (the shop database fixtures are imported from the catalog's suite)

import subprocess
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

import audit
from anonymizer import catalog
from anonymizer.catalog import Category, PiiField
from anonymizer.models import ErasureRequest
from anonymizer.services import erasure_open
from common.crypto import email_digest
from preferences.models import Subject, Suppression
from preferences.services import subject_upsert
from tests.anonymizer.conftest import (  # noqa: F401
    _external_database,
    restore_catalog,
    shop,
    shop_sql,
)
from tests.faults.conftest import wait_for
from tests.faults.test_erasure_worker import ERASURE_ENV

pytestmark = pytest.mark.faults

PEOPLE = {  # email, external id, shop name, shop phone
    "alice": ("alice@example.com", "alice-1", None, None),
    "carol": ("carol@example.net", "carol-3", "Carol Danvers", "+1 415 555 0123"),
    "dave": ("dave@example.org", "dave-4", None, None),
    "bob": ("bob@example.org", "bob-2", "Bob Martin", "+44 20 7946 0991"),
}
ERASED = ("alice", "carol", "dave")
CATALOG_FILE = """
[[tables]]
database = "shop"
table = "customers"
subject = "email"
subject_by = "email"
description = "The shop's customers."

[[tables.fields]]
name = "email"
category = "contact"
erase = "null"
kind = "EMAIL"

[[tables.fields]]
name = "full_name"
category = "identifier"
erase = "null"

[[tables.fields]]
name = "phone"
category = "contact"
erase = "null"
"""


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def dump(url: str, path, *, plain: bool = False) -> bytes:
    subprocess.run(["pg_dump", "--no-owner", "-F", "p" if plain else "c", "-f", str(path),
                    url], check=True)
    return path.read_bytes()


def restore(url: str, path) -> None:
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", url,
                    str(path)], check=True)


@pytest.fixture
def people(shop, shop_sql, newsletter, transactional_db):
    catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT, erase="null", kind="EMAIL"),
                PiiField("full_name", Category.IDENTIFIER, erase="null"),
                PiiField("phone", Category.CONTACT, erase="null")])
    made = {}
    for who, (email, external_id, name, phone) in PEOPLE.items():
        made[who], _ = subject_upsert(actor=audit.SYSTEM, source="import", email=email,
                                      external_id=external_id, country="GB",
                                      subscriptions={"newsletter": True})
        if name:
            shop_sql("INSERT INTO customers (email, full_name, phone) VALUES (%s, %s, %s)",
                     [email, name, phone])
    return made


def test_replay_after_a_restore_erases_them_again(people, shop, shop_sql, celery_cluster,
                                                  tmp_path, settings, fault_report):
    ledger_dir = tmp_path / "ledger"
    settings.HUSH_ERASURE_LEDGER = str(ledger_dir)
    (tmp_path / "catalog.toml").write_text(CATALOG_FILE)
    env = {**ERASURE_ENV, "HUSH_ERASURE_LEDGER": str(ledger_dir),
           "HUSH_EXTERNAL_DATABASES": f"shop={shop}",
           "HUSH_PII_CATALOG_FILE": str(tmp_path / "catalog.toml")}
    hush_url = _url(connection.settings_dict["NAME"])
    hush_before = dump(hush_url, tmp_path / "hush-before.sql", plain=True)
    dump(hush_url, tmp_path / "hush.dump")
    dump(shop, tmp_path / "shop.dump")
    with connection.cursor() as cursor:  # the encrypted email, as stored
        cursor.execute("SELECT public_id::text, email FROM preferences_subject")
        raw_email = dict(cursor.fetchall())

    cluster = celery_cluster(**env)
    requests = [erasure_open(public_id=people[who].public_id, source="staff",
                             actor=audit.SYSTEM) for who in ERASED]
    wait_for(lambda: ErasureRequest.objects.filter(pk__in=[r.pk for r in requests],
                                                   status="done").count() == 3,
             timeout=120, what="the three erasures to complete")
    assert len(list(ledger_dir.glob("*-erasure-*.json"))) == 3, cluster.logs()
    assert shop_sql("SELECT count(*) FROM customers WHERE email = %s",
                    ["carol@example.net"]) == [(0,)]

    # Last night's backup goes back into the same databases: everyone is back.
    cluster.stop()
    connection.close()
    restore(hush_url, tmp_path / "hush.dump")
    restore(shop, tmp_path / "shop.dump")
    for who in ERASED:
        assert Subject.objects.get(public_id=people[who].public_id).email == PEOPLE[who][0]
    assert shop_sql("SELECT count(*) FROM customers WHERE email = %s",
                    ["carol@example.net"]) == [(1,)]
    assert not Suppression.objects.filter(email_digest=email_digest("alice@example.com")).exists()

    cluster = celery_cluster(**env)
    out = StringIO()
    call_command("erasure", "replay", "--timeout", "120", stdout=out)
    text = out.getvalue()
    assert "3/3 erasures replayed" in text and "verification: 3 of 3 clean" in text, (
        text + cluster.logs())

    hush_after = dump(hush_url, tmp_path / "hush-after.sql", plain=True)
    shop_after = dump(shop, tmp_path / "shop-after.sql", plain=True)
    for who in ERASED:
        email, external_id, name, phone = PEOPLE[who]
        found = [value for value in (email, external_id, name, phone, raw_email[
            str(people[who].public_id)]) if value and (
            value.encode() in hush_after or value.encode() in shop_after)]
        assert found == [], f"{who}: still in a dump"
        # the keyed digest is kept on purpose, in the suppression list only
        digest = email_digest(email).encode()
        assert hush_after.count(digest) == 1
        assert Suppression.objects.filter(email_digest=email_digest(email)).exists()
    assert b"alice-1" in hush_before  # the search finds what is there
    bob_email, bob_id, bob_name, _ = PEOPLE["bob"]
    assert bob_id.encode() in hush_after and bob_name.encode() in shop_after
    assert Subject.objects.get(public_id=people["bob"].public_id).email == bob_email
    fault_report(f"restore: 3 erasures undone by pg_restore, replayed from the ledger: "
                 f"{text.strip().splitlines()[-1]}")
