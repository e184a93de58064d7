"""Checkpoints of the chain head, signed with a key the database never holds and written
outside it: the trail rewritten by whoever holds the database's credentials (hashes
recomputed, head moved) no longer passes `verify_audit`."""

import base64
import json
import os
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

import audit
from audit.models import AuditEvent, ChainHead
from audit.selectors import chain_verify
from audit.services import chain_seal, event_hash
from config import env


def _key_text(key) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


@pytest.fixture
def signing_key():
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture
def anchored(settings, tmp_path, signing_key):
    """Checkpoints on: a folder of their own and a fresh Ed25519 key."""
    settings.HUSH_AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.HUSH_AUDIT_SIGNING_KEY = _key_text(signing_key)
    settings.HUSH_AUDIT_VERIFY_KEYS = []
    return tmp_path / "checkpoints"


def record_some(n, action="test.thing"):
    for i in range(n):
        audit.record(actor=audit.SYSTEM, action=action, target=f"thing:{i}", details={"i": i})


def _lines(folder):
    files = sorted(folder.glob("checkpoints-*.jsonl"))
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


def _verify(capsys):
    """verify_audit --no-seal: (exit code, what it wrote)."""
    try:
        call_command("verify_audit", "--no-seal")
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out + out.err


def test_every_sealing_appends_a_checkpoint_of_the_head_signed_with_the_key(
        db, anchored, signing_key):
    record_some(3)
    chain_seal()
    record_some(2)
    chain_seal()
    first, second = _lines(anchored)
    head = ChainHead.objects.get()
    assert (second["first"], second["seq"], second["hash"]) == (4, 5, head.last_hash)
    assert (first["first"], first["seq"]) == (1, 3)
    assert second["hashes"] == list(AuditEvent.objects.filter(seq__gte=4).order_by("seq")
                                    .values_list("hash", flat=True))
    # Checked with the public key alone, as an outside verifier would.
    signature = base64.b64decode(second.pop("sig"))
    signed = b"hush audit checkpoint v1\n" + json.dumps(
        second, sort_keys=True, separators=(",", ":")).encode()
    signing_key.public_key().verify(signature, signed)


def test_a_sealing_with_nothing_to_seal_writes_nothing(db, anchored):
    record_some(1)
    chain_seal()
    chain_seal()
    assert len(_lines(anchored)) == 1


def test_verify_audit_says_where_the_chain_is_anchored(db, anchored, capsys):
    record_some(4)
    chain_seal()
    code, said = _verify(capsys)
    assert code == 0
    assert "audit chain OK: 4 events verified" in said
    assert "1 signed checkpoints, the latest at event 4" in said


def test_verify_audit_says_when_nothing_anchors_the_chain(db, settings, capsys):
    settings.HUSH_AUDIT_CHECKPOINT_DIR = ""
    record_some(2)
    chain_seal()
    code, said = _verify(capsys)
    assert code == 0 and "no signed checkpoints" in said


def test_a_verifier_holding_only_the_public_key_verifies(db, anchored, settings, signing_key,
                                                         capsys):
    record_some(3)
    chain_seal()
    settings.HUSH_AUDIT_SIGNING_KEY = ""
    settings.HUSH_AUDIT_VERIFY_KEYS = [base64.b64encode(
        signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()]
    code, said = _verify(capsys)
    assert code == 0 and "the latest at event 3" in said


def test_sealing_refuses_a_checkpoint_folder_without_a_signing_key(db, anchored, settings):
    settings.HUSH_AUDIT_SIGNING_KEY = ""
    record_some(1)
    with pytest.raises(ImproperlyConfigured, match="HUSH_AUDIT_SIGNING_KEY"):
        chain_seal()


def test_verify_audit_prints_the_public_key_a_verifier_needs(db, anchored, signing_key,
                                                             capsys):
    call_command("verify_audit", "--public-key")
    printed = base64.b64decode(capsys.readouterr().out.strip())
    assert printed == signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- checkpoints that were changed -------------------------------------------------

def _rewrite_line(folder, number, change):
    path = sorted(folder.glob("checkpoints-*.jsonl"))[0]
    lines = path.read_text().splitlines()
    fields = json.loads(lines[number - 1])
    change(fields)
    lines[number - 1] = json.dumps(fields, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    return path.name


def test_an_edited_checkpoint_fails_verification_naming_its_line(db, anchored, capsys):
    record_some(2)
    chain_seal()
    record_some(2)
    chain_seal()
    name = _rewrite_line(anchored, 2, lambda f: f.update(hash="0" * 64))
    code, said = _verify(capsys)
    assert code == 1
    assert f"checkpoint {name}:2: signature does not verify" in said


def test_a_checkpoint_signed_with_another_key_fails_verification(db, anchored, capsys):
    record_some(2)
    chain_seal()
    forger = ed25519.Ed25519PrivateKey.generate()

    def forge(fields):
        fields.update(key="f" * 16)
        fields["sig"] = base64.b64encode(forger.sign(b"anything")).decode()

    name = _rewrite_line(anchored, 1, forge)
    code, said = _verify(capsys)
    assert code == 1 and f"checkpoint {name}:1: signed with an unknown key" in said


def test_a_line_that_is_not_a_checkpoint_fails_verification(db, anchored, capsys):
    record_some(1)
    chain_seal()
    path = sorted(anchored.glob("checkpoints-*.jsonl"))[0]
    with open(path, "a") as f:
        f.write('{"seq": 1\n')
    code, said = _verify(capsys)
    assert code == 1 and f"checkpoint {path.name}:2: not a checkpoint line" in said


# --- the attack: the chain rewritten with its hashes recomputed and the head moved ----

@pytest.fixture
def owner_role(postgres):
    """A role that owns the audit tables and is no superuser: the credentials `migrate`
    runs with. Made inside the test's transaction, so it is gone after the test."""
    role = f"hush_test_owner_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        for table in ("audit_auditevent", "audit_chainhead"):
            cursor.execute(f"ALTER TABLE {table} OWNER TO {role}")
    return role


def _rehash_from(seq):
    """What an attacker computes: the published SHA-256 chain, from `seq` on."""
    events = list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq"))
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    rows = []
    for event in events:
        digest = event_hash(event, seq=event.seq, prev_hash=prev)
        rows.append((prev, digest, event.pk))
        prev = digest
    return rows, events[-1].seq, prev


def _rewrite_as(cursor, *, seq, details):
    cursor.execute("UPDATE audit_auditevent SET details = %s WHERE seq = %s",
                   [json.dumps(details), seq])
    rows, last_seq, last_hash = _rehash_from(seq)
    cursor.executemany("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                       rows)
    cursor.execute("UPDATE audit_chainhead SET last_seq = %s, last_hash = %s",
                   [last_seq, last_hash])


def test_the_owner_disabling_the_triggers_and_rehashing_is_caught_naming_the_event(
        anchored, owner_role, settings, capsys):
    record_some(6)
    chain_seal()
    record_some(4)
    chain_seal()
    target = AuditEvent.objects.get(seq=3)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {owner_role}")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("UPDATE audit_auditevent SET details = '{}' WHERE seq = 3")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        _rewrite_as(cursor, seq=3, details={"i": 99})
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        cursor.execute("RESET ROLE")
    assert AuditEvent.objects.get(seq=3).details == {"i": 99}

    # As the issue found it: the chain agrees with itself ...
    settings.HUSH_AUDIT_CHECKPOINT_DIR = ""
    assert chain_verify().ok
    # ... but not with what was signed outside the database.
    settings.HUSH_AUDIT_CHECKPOINT_DIR = str(anchored)
    code, said = _verify(capsys)
    assert code == 1
    assert f"BROKEN at event seq=3 (id={target.pk})" in said
    assert "differs from the signed checkpoint (checkpoints-" in said


def test_a_superuser_in_replica_mode_rehashing_is_caught_naming_the_event(
        anchored, postgres, capsys):
    record_some(5)
    chain_seal()
    target = AuditEvent.objects.get(seq=5)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        _rewrite_as(cursor, seq=5, details={"i": 42})
        cursor.execute("SET LOCAL session_replication_role = origin")
    code, said = _verify(capsys)
    assert code == 1
    assert f"BROKEN at event seq=5 (id={target.pk})" in said


def test_events_cut_off_the_end_with_the_head_moved_back_are_caught(anchored, postgres,
                                                                     capsys):
    record_some(6)
    chain_seal()
    kept = AuditEvent.objects.get(seq=4)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditevent WHERE seq > 4")
        cursor.execute("UPDATE audit_chainhead SET last_seq = 4, last_hash = %s", [kept.hash])
        cursor.execute("SET LOCAL session_replication_role = origin")
    code, said = _verify(capsys)
    assert code == 1
    assert "BROKEN at event seq=5" in said
    assert "the chain ends at 4; event 5 is missing, though a signed checkpoint records it" \
        in said


def test_two_events_swapped_and_rehashed_are_caught(anchored, postgres, capsys):
    record_some(4)
    chain_seal()
    second, third = AuditEvent.objects.get(seq=2), AuditEvent.objects.get(seq=3)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET seq = -seq WHERE seq IN (2, 3)")
        cursor.execute("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [second.pk])
        cursor.execute("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [third.pk])
        rows, last_seq, last_hash = _rehash_from(2)
        cursor.executemany(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", rows)
        cursor.execute("UPDATE audit_chainhead SET last_seq = %s, last_hash = %s",
                       [last_seq, last_hash])
        cursor.execute("SET LOCAL session_replication_role = origin")
    code, said = _verify(capsys)
    assert code == 1 and f"BROKEN at event seq=2 (id={third.pk})" in said


# --- settings and deployment checks ------------------------------------------------

def test_deployment_checks_warn_without_a_checkpoint_folder_or_key(settings):
    settings.HUSH_AUDIT_CHECKPOINT_DIR = ""
    settings.HUSH_AUDIT_SIGNING_KEY = ""
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert {"audit.W001", "audit.W002"} <= ids


def test_deployment_checks_are_quiet_with_both(anchored):
    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert not {i for i in ids if i.startswith("audit.")}


@pytest.mark.parametrize("raw", ["not-base64!", base64.b64encode(os.urandom(16)).decode(),
                                 "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----"])
def test_a_malformed_signing_key_fails_at_start(monkeypatch, raw):
    monkeypatch.setenv("HUSH_X", raw)
    with pytest.raises(ImproperlyConfigured, match="HUSH_X: key 1 is not an Ed25519"):
        env.env_ed25519_keys("HUSH_X", private=True)


def test_a_pem_signing_key_is_read(monkeypatch, signing_key):
    pem = signing_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    monkeypatch.setenv("HUSH_X", pem)
    assert env.env_ed25519_keys("HUSH_X", private=True) == [pem.strip()]
