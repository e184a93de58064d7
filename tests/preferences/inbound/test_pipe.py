"""`manage.py inbound_mail`, fed real message files as an MTA's pipe feeds them."""

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from preferences.models import ConsentEvent, Subscription, Suppression
from tests.preferences.inbound import samples

ROOT = Path(__file__).resolve().parents[3]


class Stdin:
    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)


def pipe(monkeypatch, raw: bytes, *args):
    monkeypatch.setattr(sys, "stdin", Stdin(raw))
    call_command("inbound_mail", *args)


def test_a_mailto_file_on_stdin_unsubscribes(db, monkeypatch, alice, newsletter, token_for,
                                             tmp_path):
    eml = tmp_path / "unsubscribe.eml"
    eml.write_bytes(samples.mailto(token_for(alice, newsletter)))
    pipe(monkeypatch, eml.read_bytes(), "--recipient", "unsubscribe@mail.example.com")
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"
    assert ConsentEvent.objects.get(subject=alice, source="mailto")


def test_a_dsn_file_suppresses(db, monkeypatch, bob):
    pipe(monkeypatch, samples.dsn([("bob@example.org", "failed", "5.2.1")]))
    assert Suppression.objects.get(email_digest=bob.email_digest).reason == "bounce"


def test_a_message_past_the_size_limit_is_ignored_not_retried(db, monkeypatch, settings, alice,
                                                              newsletter, token_for):
    settings.HUSH_INBOUND_MAX_BYTES = 2048
    raw = samples.mailto(token_for(alice, newsletter), headers=[("X-Pad", "x" * 3000)])
    pipe(monkeypatch, raw)  # exits 0: retrying would not make it smaller
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"


def _env(**extra):
    return {**os.environ, "HUSH_UNSUBSCRIBE_MAILTO": "unsubscribe@mail.example.com", **extra}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_exits_75_when_the_database_cannot_record(tmp_path):
    """The MTA queues the message and retries (EX_TEMPFAIL); nothing personal printed."""
    url = f"postgres://postgres@127.0.0.1:{_closed_port()}/hush_gone"
    raw = samples.mailto(None, subject="unsubscribe", sender="alice@example.com")
    done = subprocess.run([sys.executable, "manage.py", "inbound_mail"], input=raw, cwd=ROOT,
                          env=_env(DATABASE_URL=url), capture_output=True, timeout=60)
    assert done.returncode == 75, done.stderr
    assert b"alice" not in done.stderr + done.stdout
    assert b"4.3.0" in done.stderr


def test_it_exits_0_when_recorded_as_a_separate_process(postgres, transactional_db, alice,
                                                        newsletter, token_for):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    raw = samples.mailto(token_for(alice, newsletter))
    done = subprocess.run([sys.executable, "manage.py", "inbound_mail"], input=raw, cwd=ROOT,
                          env=_env(DATABASE_URL=url), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == b""
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"


@pytest.mark.parametrize("raw", [b"", b"garbage\x00\xff", b"From: x\r\n\r\nhello"])
def test_what_it_does_not_understand_is_handled_and_counted(db, monkeypatch, raw):
    pipe(monkeypatch, raw)  # no exception: exit 0
