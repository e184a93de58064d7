"""The erasure ledger outside the database, and `erasure replay` after a restore
(in-process here; tests/faults/test_restore.py does it with pg_dump and a worker)."""

import json
from datetime import timedelta
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from psycopg import sql

import audit
from anonymizer import ledger
from anonymizer.erasure.replay import erasure_replay
from anonymizer.models import ErasureRequest
from anonymizer.services import erasure_open
from common.crypto import email_digest
from preferences import services
from preferences.models import Subject, Subscription, Suppression

pytestmark = pytest.mark.django_db(transaction=True)
ALICE = "alice@example.com"


@pytest.fixture
def ledger_dir(settings, tmp_path):
    settings.HUSH_ERASURE_LEDGER = str(tmp_path / "ledger")
    return tmp_path / "ledger"


def erase(subject):
    """Eager tasks, autocommit: the erasure runs to its end inside this call."""
    request = erasure_open(public_id=subject.public_id, source="staff", actor=audit.SYSTEM)
    request.refresh_from_db()
    assert request.status == "done", request.status
    return request


def restore(subject, newsletter):
    """What restoring last night's dump does to alice: her row, her subscription and her
    address are back; her suppression is gone."""
    Subject.objects.filter(pk=subject.pk).update(
        email=ALICE, email_digest=email_digest(ALICE), external_id="alice-1", erased_at=None,
        unsubscribed_all=False)
    Subscription.objects.create(subject_id=subject.pk, topic=newsletter, status="subscribed")
    Suppression.objects.filter(email_digest=email_digest(ALICE)).delete()
    ErasureRequest.objects.all().delete()


def test_a_completed_erasure_is_ledgered_without_the_address(ledger_dir, alice, bob):
    erase(alice)
    files = list(ledger_dir.glob("*.json"))
    assert len(files) == 1
    text = files[0].read_text()
    assert ALICE not in text and "alice-1" not in text
    entry = json.loads(text)
    assert entry["kind"] == "erasure" and entry["subject"] == str(alice.public_id)
    assert entry["email_digest"] == email_digest(ALICE)
    assert "preferences.subscription" in entry["entries"]
    assert "preferences.subject" in entry["entries"]
    assert list(ledger_dir.glob(".*.tmp")) == []


def test_a_suppression_is_ledgered(ledger_dir, db):
    digest = email_digest("complainer@example.org")
    services.suppression_add(email_digest=digest, reason="complaint", source="complaint",
                             actor=audit.SYSTEM)
    (entry,) = ledger.ledger_read()
    assert entry["kind"] == "suppression" and entry["email_digests"] == [digest]
    assert entry["reason"] == "complaint"


def test_replay_erases_a_restored_subject_again(ledger_dir, alice, bob, newsletter):
    erase(alice)
    services.suppression_add(email_digest=email_digest("complainer@example.org"),
                             reason="complaint", source="complaint", actor=audit.SYSTEM)
    restore(alice, newsletter)
    Suppression.objects.filter(email_digest=email_digest("complainer@example.org")).delete()
    lines = []
    summary = erasure_replay(progress=lines.append, timeout=30)
    again = Subject.objects.get(pk=alice.pk)
    assert (again.email, again.email_digest, again.external_id) == (None, None, None)
    assert not Subscription.objects.filter(subject=alice).exists()
    assert Suppression.objects.filter(email_digest=email_digest(ALICE), reason="erased").exists()
    assert Suppression.objects.filter(email_digest=email_digest("complainer@example.org"),
                                      reason="complaint").exists()
    assert summary["replayed"] == 1 and summary["verified_clean"] == 1 and not summary["found"]
    assert any("1/1 erasures replayed" in line for line in lines)
    assert Subject.objects.get(pk=bob.pk).email == "bob@example.org"  # bob untouched


def test_replay_since_leaves_older_entries(ledger_dir, alice, newsletter):
    erase(alice)
    restore(alice, newsletter)
    summary = erasure_replay(since=timezone.now() + timedelta(minutes=1), progress=lambda _: 0)
    assert summary["erasure_entries"] == 0
    assert Subject.objects.get(pk=alice.pk).email == ALICE


def test_the_command_prints_progress_and_verification(ledger_dir, alice, newsletter):
    erase(alice)
    restore(alice, newsletter)
    out = StringIO()
    call_command("erasure", "replay", "--since", "2000-01-01T00:00:00", stdout=out)
    text = out.getvalue()
    assert "1/1 erasures replayed" in text and "verification: 1 of 1 clean" in text
    assert Subject.objects.get(pk=alice.pk).email is None


def test_without_a_ledger_replay_says_so(settings, db):
    settings.HUSH_ERASURE_LEDGER = ""
    from django.core.management.base import CommandError
    with pytest.raises(CommandError, match="HUSH_ERASURE_LEDGER"):
        call_command("erasure", "replay")


@pytest.fixture
def ledger_database(settings, postgres):
    db = connection.settings_dict
    name = f"{db['NAME']}_ledger"
    server = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    settings.HUSH_ERASURE_LEDGER = f"{server}/{name}"
    yield settings.HUSH_ERASURE_LEDGER
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def test_a_postgresql_ledger(ledger_database, alice, newsletter):
    erase(alice)
    with psycopg.connect(ledger_database) as conn:
        (record,) = [r[0] for r in conn.execute("SELECT record FROM hush_erasure_ledger")]
    assert record["subject"] == str(alice.public_id) and ALICE not in json.dumps(record)
    restore(alice, newsletter)
    assert erasure_replay(progress=lambda _: 0, timeout=30)["verified_clean"] == 1
    assert Subject.objects.get(pk=alice.pk).email is None


def test_an_opt_out_and_its_lifting_replay_in_order(ledger_dir, alice, bob):
    services.subject_unsubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    services.subject_unsubscribe_all(subject=bob, source="api", actor=audit.SYSTEM)
    services.subject_resubscribe_all(subject=bob, source="api", actor=audit.SYSTEM)
    Suppression.objects.all().delete()  # the backup predates them all
    erasure_replay(progress=lambda _: 0)
    assert list(Suppression.objects.values_list("email_digest", "reason")) == [
        (email_digest(ALICE), "unsubscribed_all")]
