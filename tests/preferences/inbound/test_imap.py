"""The IMAP poller against a real Dovecot on 127.0.0.1 (imaps, a throwaway CA trusted
through SSL_CERT_FILE): a message is flagged or moved only after it is recorded."""

import imaplib
import os
import shutil
import ssl
import tempfile
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from config.env import env_imap_url
from preferences.inbound import imap
from preferences.models import ConsentEvent, Subscription, Suppression
from tests.conftest import require_service
from tests.preferences.inbound import dovecot, samples

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(monkeypatch, settings):
    require_service(dovecot.available(), "needs Dovecot: apt-get install dovecot-imapd")
    # Not under pytest's own tmp folder (mode 0700): Dovecot's unprivileged processes
    # must reach the user file and the mailbox.
    folder = Path(tempfile.mkdtemp(prefix="hush-dovecot-"))
    os.chmod(folder, 0o755)  # noqa: S103 (a throwaway test mailbox Dovecot must read)
    box = dovecot.Dovecot(folder)
    try:
        box.start()
        monkeypatch.setenv("SSL_CERT_FILE", str(box.authority.ca_file))
        monkeypatch.setenv("HUSH_TEST_IMAP", box.url())
        settings.HUSH_INBOUND_IMAP_URL = env_imap_url("HUSH_TEST_IMAP")
        settings.HUSH_INBOUND_IMAP_MOVE_TO = ""
        yield box
    finally:
        box.stop()
        shutil.rmtree(folder, ignore_errors=True)


def mailbox(box):
    client = imaplib.IMAP4_SSL("127.0.0.1", box.tls_port,
                               ssl_context=ssl.create_default_context(
                                   cafile=str(box.authority.ca_file)))
    client.login(dovecot.USER, dovecot.PASSWORD)
    return client


def deliver(box, *messages):
    """What the mail host does: the messages land in INBOX, unseen."""
    client = mailbox(box)
    for raw in messages:
        client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    client.logout()


def flags(box, folder="INBOX"):
    client = mailbox(box)
    client.select(folder)
    _, found = client.uid("SEARCH", None, "ALL")
    result = []
    for uid in found[0].split():
        _, data = client.uid("FETCH", uid, "(FLAGS)")
        result.append(b"\\Seen" in data[0])
    client.logout()
    return result


def test_unseen_messages_are_recorded_then_flagged(server, alice, bob, newsletter, token_for):
    deliver(server, samples.mailto(token_for(alice, newsletter)),
            samples.arf(original_rcpt_to="bob@example.org"),
            samples.mailto(None, subject="just a question"))
    assert imap.mailbox_poll() == 3
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"
    assert ConsentEvent.objects.get(subject=alice, source="mailto")
    assert Suppression.objects.get(email_digest=bob.email_digest).reason == "complaint"
    assert flags(server) == [True, True, True]
    assert imap.mailbox_poll() == 0  # nothing unseen is left


def test_a_message_is_left_unseen_when_it_could_not_be_recorded(server, alice, newsletter,
                                                                token_for, monkeypatch):
    deliver(server, samples.dsn([("gone@example.org", "failed", "5.1.1")]),
            samples.mailto(token_for(alice, newsletter)))
    real = imap.message_record
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(imap, "message_record", flaky)
    with pytest.raises(OperationalError):
        imap.mailbox_poll()
    assert flags(server) == [True, False]
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "subscribed"
    monkeypatch.setattr(imap, "message_record", real)
    assert imap.mailbox_poll() == 1
    assert flags(server) == [True, True]
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"


def test_recorded_messages_can_be_moved_to_a_folder(server, settings, bob):
    settings.HUSH_INBOUND_IMAP_MOVE_TO = "Done"
    deliver(server, samples.dsn([("bob@example.org", "failed", "5.1.1")]))
    assert imap.mailbox_poll() == 1
    assert flags(server) == [] and flags(server, "Done") == [True]
    assert Suppression.objects.get(email_digest=bob.email_digest).reason == "bounce"


def test_a_message_recorded_but_not_flagged_is_not_applied_twice(server, alice, newsletter,
                                                                 token_for, monkeypatch):
    deliver(server, samples.mailto(token_for(alice, newsletter)))
    monkeypatch.setattr(imap, "_done", lambda client, uid: None)  # the flag is lost
    imap.mailbox_poll()
    monkeypatch.undo()
    monkeypatch.setenv("SSL_CERT_FILE", str(server.authority.ca_file))
    imap.mailbox_poll()
    assert ConsentEvent.objects.filter(subject=alice, source="mailto").count() == 1
    assert flags(server) == [True]


def test_the_poll_task_is_registered_and_does_nothing_unconfigured(settings):
    from celery import current_app

    settings.HUSH_INBOUND_IMAP_URL = None
    assert current_app.tasks["preferences.inbound_imap_poll"].apply().successful()
