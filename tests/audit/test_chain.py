import itertools
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

import audit
from audit.models import AuditEvent, ChainHead
from audit.selectors import chain_verify
from audit.services import chain_seal


def record_some(n, action="test.thing"):
    for i in range(n):
        audit.record(actor=audit.SYSTEM, action=action, target=f"thing:{i}", details={"i": i})


def test_events_are_appended_unsealed_and_sealed_in_order(db):
    record_some(5)
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 5
    assert chain_seal() == 5
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.details["i"] for e in events] == [0, 1, 2, 3, 4]
    assert events[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert ChainHead.objects.get().last_seq == 5


def test_sealing_again_continues_the_chain(db):
    record_some(2)
    chain_seal()
    record_some(3)
    assert chain_seal() == 3
    assert chain_verify().ok
    assert chain_verify().checked == 5


def test_the_sealer_works_in_batches(db):
    record_some(7)
    assert chain_seal(batch=3) == 7
    assert chain_verify().checked == 7


def test_actors_are_recorded_without_personal_data(alice, django_user_model):
    staff = django_user_model.objects.create_user("carol", password="x" * 16)
    audit.record(actor=staff, action="x", target=alice)
    audit.record(actor=alice, action="y")
    user_event, subject_event = AuditEvent.objects.filter(action__in=["x", "y"]).order_by("id")
    assert (user_event.actor_type, user_event.actor_id) == ("user", str(staff.pk))
    assert (user_event.target_type, user_event.target_id) == ("preferences.subject",
                                                              str(alice.public_id))
    assert (subject_event.actor_type, subject_event.actor_id) == ("subject",
                                                                  str(alice.public_id))


@pytest.mark.parametrize("details", [
    {"email": "x"},
    {"note": "write to alice@example.com"},
    {"nested": [{"phone": "123"}]},
])
def test_it_refuses_details_with_personal_data(db, details):
    with pytest.raises(ValueError):
        audit.record(actor=audit.SYSTEM, action="x", details=details)
    assert not AuditEvent.objects.filter(action="x").exists()


def test_the_orm_cannot_change_or_delete_events(db):
    record_some(1)
    event = AuditEvent.objects.get()
    event.action = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="forged")


def test_verify_audit_reports_ok(db, capsys):
    record_some(3)
    call_command("verify_audit")
    assert "audit chain OK: 3 events verified" in capsys.readouterr().out


# --- on PostgreSQL: the trigger, and tampering as a superuser would ----------------

def _sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET action = 'forged'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "UPDATE audit_auditevent SET seq = NULL, hash = ''",
])
def test_the_database_refuses_changes(postgres, statement):
    record_some(2)
    chain_seal()
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(statement)
    assert AuditEvent.objects.count() == 2
    assert chain_verify().ok


def test_the_database_refuses_changing_an_unsealed_event(postgres):
    record_some(1)
    with pytest.raises(DatabaseError, match="append-only"):
        _sql("UPDATE audit_auditevent SET seq = 1, hash = 'x', action = 'forged'")


def _tamper(statement, params=()):
    """What a superuser could do: switch triggers off for the session and edit."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)


def test_verify_names_an_edited_event(postgres, capsys):
    record_some(5)
    chain_seal()
    _tamper("UPDATE audit_auditevent SET details = '{\"i\": 99}' WHERE seq = 3")
    with pytest.raises(SystemExit) as exit_code:
        call_command("verify_audit", "--no-seal")
    assert exit_code.value.code == 1
    assert "BROKEN at event seq=3" in capsys.readouterr().err


def test_verify_names_a_removed_event(postgres):
    record_some(5)
    chain_seal()
    _tamper("DELETE FROM audit_auditevent WHERE seq = 2")
    report = chain_verify()
    assert not report.ok and report.broken_seq == 3


def test_verify_notices_events_cut_off_the_end(postgres):
    record_some(5)
    chain_seal()
    _tamper("DELETE FROM audit_auditevent WHERE seq >= 4")
    report = chain_verify()
    assert not report.ok and report.broken_seq == 4


def test_verify_notices_a_rewritten_chain_with_recomputed_hashes_only_via_head(postgres):
    """Rewriting one hash breaks the link to the next event."""
    record_some(3)
    chain_seal()
    _tamper("UPDATE audit_auditevent SET hash = repeat('a', 64) WHERE seq = 2")
    report = chain_verify()
    assert not report.ok and report.broken_seq == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_never_fork_the_chain(postgres):
    record_some(400)
    errors = []

    def seal():
        try:
            chain_seal(batch=25)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = chain_verify()
    assert report.ok and report.checked == 400 and report.unsealed == 0


@pytest.mark.django_db(transaction=True)
def test_events_committed_while_sealing_are_sealed_later(postgres):
    record_some(3)
    chain_seal()
    record_some(2)
    chain_seal()
    assert chain_verify().checked == 5
