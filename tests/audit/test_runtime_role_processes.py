"""Hush run as the README's "Two database roles" says: gunicorn and the commands connect
as the runtime role, which does the product's work (a one-click unsubscribe, sealing with
a signed checkpoint, verification) and is refused, over its own login, the rewrite."""

import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import call_command
from django.db import connection

from audit.database_roles import runtime_role_grant
from audit.models import AuditEvent, ChainHead
from preferences.models import Subscription
from tests.conftest import runtime_database_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.faults


@pytest.fixture
def runtime_login(transactional_db, postgres):
    """The runtime role CI made (HUSH_TEST_RUNTIME_ROLE), or one of the test's own."""
    role = os.environ.get("HUSH_TEST_RUNTIME_ROLE", "")
    made = not role
    if made:
        role = f"hush_test_app_{uuid.uuid4().hex[:10]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    runtime_role_grant(role=role)
    yield role
    if made:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _gunicorn(env, log: Path):
    port = _free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "1",
             "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _manage(env, *argv):
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_web_and_commands_run_as_the_runtime_role_which_cannot_rewrite_the_trail(
        runtime_login, alice, newsletter, tmp_path, capsys):
    url = runtime_database_url(runtime_login)
    key = ed25519.Ed25519PrivateKey.generate()
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0",
           "HUSH_AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
           "HUSH_AUDIT_SIGNING_KEY": base64.b64encode(key.private_bytes_raw()).decode()}
    env.pop("CELERY_BROKER_URL", None)  # the one-click's deliveries run in-process
    call_command("links", "alice@example.com", "--topic", "newsletter", "--json")
    one_click = json.loads(capsys.readouterr().out)["unsubscribe_url"]
    path = "/" + one_click.split("/", 3)[3]

    with _gunicorn(env, tmp_path / "gunicorn.log") as port:
        web = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        web.request("POST", path, body=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert web.getresponse().status == 200
        web.close()
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"

    sealed = _manage(env, "verify_audit")
    assert sealed.returncode == 0, sealed.stderr
    assert "signed checkpoints, the latest at event" in sealed.stdout
    head = ChainHead.objects.get()
    assert head.last_seq == AuditEvent.objects.count() > 0
    assert (tmp_path / "checkpoints").is_dir()

    check = _manage(env, "runtime_role", "check", runtime_login)
    assert check.returncode == 0, check.stderr

    # The runtime role's own login, trying what the owner could do.
    with psycopg.connect(url, autocommit=True) as attacker:
        for statement in ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
                          "UPDATE audit_auditevent SET details = '{}' WHERE seq = 1",
                          "DELETE FROM audit_auditevent WHERE seq = 1",
                          "UPDATE audit_chainhead SET last_seq = 0",
                          "SET session_replication_role = replica"):
            refused = None
            try:
                attacker.execute(statement)
            except psycopg.errors.Error as error:
                refused = error
            if statement.startswith("UPDATE audit_chainhead"):
                # The head it may move (the sealer does), and verification notices.
                assert refused is None
                continue
            assert isinstance(refused, psycopg.errors.InsufficientPrivilege), statement
    moved = _manage(env, "verify_audit", "--no-seal")
    assert moved.returncode == 1 and "BROKEN" in moved.stderr
