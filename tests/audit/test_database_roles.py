"""The runtime role (what gunicorn and celery connect as) appends to the audit trail and
seals it, and PostgreSQL itself refuses it everything else: ALTER, DISABLE TRIGGER,
UPDATE, DELETE, TRUNCATE, replica mode. Written as the attack, as that role."""

import uuid

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

import audit
from audit.database_roles import RoleError, runtime_role_grant, runtime_role_problems
from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.services import chain_seal


def _role(kind: str) -> str:
    return f"hush_test_{kind}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def runtime_role(postgres):
    """A runtime role granted as the README says. Made inside the test's transaction,
    so it is gone after the test."""
    role = _role("runtime")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER NOLOGIN")
    runtime_role_grant(role=role)
    return role


def _as(role, statement, params=()):
    """Run one statement as `role` in a savepoint; the error PostgreSQL answers, or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
            cursor.execute(statement, params)
    except DatabaseError as error:
        return str(error)
    return None


def _sealed(n=3):
    for i in range(n):
        audit.record(actor=audit.SYSTEM, action="test.thing", target=f"thing:{i}",
                     details={"i": i})
    chain_seal()


@pytest.mark.parametrize("statement,refusal", [
    ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", "must be owner"),
    ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", "must be owner"),
    ("ALTER TABLE audit_auditevent ADD COLUMN forged text", "must be owner"),
    ("DROP TRIGGER pgtrigger_audit_event_no_update_d546f ON audit_auditevent", "must be owner"),
    ("UPDATE audit_auditevent SET details = '{\"i\": 99}' WHERE seq = 2", "permission denied"),
    ("UPDATE audit_auditevent SET action = 'forged'", "permission denied"),
    ("DELETE FROM audit_auditevent WHERE seq = 2", "permission denied"),
    ("TRUNCATE audit_auditevent", "permission denied"),
    ("DELETE FROM audit_chainhead", "permission denied"),
    ("SET session_replication_role = replica", "permission denied"),
    ("ALTER TABLE audit_auditevent OWNER TO CURRENT_USER", "must be owner"),
])
def test_the_runtime_role_is_refused_by_postgresql(runtime_role, statement, refusal):
    _sealed()
    said = _as(runtime_role, statement)
    assert said is not None and refusal in said, said
    assert AuditEvent.objects.filter(details={"i": 1}).exists()
    assert AuditEvent.objects.count() == 3
    assert chain_verify().ok


def test_the_runtime_role_cannot_restamp_a_sealed_event(runtime_role):
    """The columns it may update are the sealer's, and the trigger lets it stamp only an
    unsealed row."""
    _sealed()
    said = _as(runtime_role, "UPDATE audit_auditevent SET hash = repeat('a', 64) WHERE seq = 2")
    assert said is not None and "append-only" in said
    assert chain_verify().ok


def test_the_runtime_role_appends_and_seals(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {runtime_role}")
        try:
            _sealed(4)
            audit.record(actor=audit.SYSTEM, action="test.later", target="thing:9")
            chain_seal()
            report = chain_verify()
        finally:
            cursor.execute("RESET ROLE")
    assert report.ok and report.checked == 5


def test_the_runtime_role_may_do_the_rest_of_the_product(runtime_role, alice):
    """Everyday tables keep their everyday grants: a subject's row is read and changed."""
    assert _as(runtime_role, "UPDATE preferences_subject SET locale = locale") is None
    assert _as(runtime_role, "SELECT count(*) FROM preferences_subscription") is None


def test_check_passes_a_granted_runtime_role(runtime_role, capsys):
    assert runtime_role_problems(role=runtime_role) == []
    call_command("runtime_role", "check", runtime_role)
    assert "cannot alter, update or delete it" in capsys.readouterr().out


def test_check_fails_the_owner(postgres, capsys):
    owner = _role("owner")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {owner} NOSUPERUSER NOLOGIN")
        cursor.execute(f"ALTER TABLE audit_auditevent OWNER TO {owner}")
    problems = runtime_role_problems(role=owner)
    assert any("owns" in p and "audit_auditevent" in p for p in problems)
    assert any("has UPDATE on audit_auditevent" in p for p in problems)
    with pytest.raises(SystemExit):
        call_command("runtime_role", "check", owner)


def test_check_fails_a_role_with_everyday_grants_on_the_audit_table(postgres):
    role = _role("loose")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON audit_auditevent TO {role}")
    problems = runtime_role_problems(role=role)
    assert f"{role} has UPDATE on audit_auditevent" in problems
    assert f"{role} has DELETE on audit_auditevent" in problems


def test_grant_refuses_a_superuser_or_a_missing_role(postgres):
    with pytest.raises(RoleError, match="superuser"):
        runtime_role_grant(role="postgres")
    with pytest.raises(RoleError, match="no role"):
        runtime_role_grant(role=_role("missing"))
