"""The SMTP/LMTP listener, with messages sent by `smtplib` to it running on 127.0.0.1."""

import asyncio
import smtplib
import socket
import threading

import pytest
from django.db import OperationalError

from preferences.inbound import smtp
from preferences.models import ConsentEvent, InboundEvent, Subscription, Suppression
from tests.preferences.inbound import samples

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def listener():
    """`smtp.serve` in a thread of its own, as `manage.py inbound_smtp` runs it."""
    started = {}

    def run(lmtp):
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        started["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        bound = threading.Event()

        def on_bound(port):
            started["port"] = port
            bound.set()

        thread = threading.Thread(target=loop.run_until_complete, daemon=True, args=(
            smtp.serve("127.0.0.1", 0, lmtp=lmtp, workers=2, started=on_bound, stop=stop),))
        thread.start()
        assert bound.wait(10)
        started["thread"] = thread
        return started["port"]

    yield run
    if "stop" in started:
        started["stop"]()
        started["thread"].join(10)


def test_a_mailto_sent_to_the_listener_is_applied_before_the_250(listener, alice, newsletter,
                                                                  token_for):
    port = listener(False)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        refused = client.sendmail("alice@example.com", ["unsubscribe@mail.example.com"],
                                  samples.mailto(token_for(alice, newsletter)))
    assert refused == {}
    # Answered 250 only after commit: the change is there the moment sendmail returns.
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"
    assert ConsentEvent.objects.get(subject=alice, source="mailto")


def test_only_the_configured_addresses_are_accepted(listener):
    port = listener(False)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("x@example.org")
        assert client.rcpt("postmaster@mail.example.com")[0] == 550
        assert client.rcpt("someone@elsewhere.example")[0] == 550
        assert client.rcpt("Unsubscribe+tag@MAIL.example.com")[0] == 250
        assert client.rcpt("bounces+verp-123@mail.example.com")[0] == 250


def test_a_message_over_the_limit_is_refused(listener, settings):
    settings.HUSH_INBOUND_MAX_BYTES = 4096
    port = listener(False)
    raw = samples.mailto(None, headers=[("X-Pad", "x" * 8000)])
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, \
            pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        client.sendmail("a@example.org", ["unsubscribe@mail.example.com"], raw)
    assert refused.value.smtp_code == 552


def test_it_answers_451_when_it_cannot_record(listener, monkeypatch, alice, newsletter,
                                              token_for):
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(smtp, "message_record", down)
    port = listener(False)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, \
            pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("a@example.org", ["unsubscribe@mail.example.com"],
                        samples.mailto(token_for(alice, newsletter)))
    assert refused.value.smtp_code == 451
    assert not InboundEvent.objects.exists()


def test_lmtp_answers_data_once_per_recipient(listener, bob):
    port = listener(True)
    raw = samples.dsn([("bob@example.org", "failed", "5.1.1")])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")

        def say(line):
            sock.sendall(line + b"\r\n")

        def reply():
            lines = []
            while True:
                line = reader.readline()
                lines.append(line)
                if line[3:4] != b"-":
                    return lines

        assert reply()[0].startswith(b"220")
        say(b"LHLO mx.example.com")
        assert reply()[-1].startswith(b"250")
        say(b"MAIL FROM:<>")
        assert reply()[0].startswith(b"250")
        for rcpt in (b"bounces@mail.example.com", b"fbl@mail.example.com"):
            say(b"RCPT TO:<" + rcpt + b">")
            assert reply()[0].startswith(b"250")
        say(b"DATA")
        assert reply()[0].startswith(b"354")
        sock.sendall(raw.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        assert reply()[0].startswith(b"250 2.0.0")
        assert reply()[0].startswith(b"250 2.0.0")
        say(b"QUIT")
    assert Suppression.objects.get(email_digest=bob.email_digest).reason == "bounce"
