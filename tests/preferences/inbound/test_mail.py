"""The reader: what each kind of message means, and what it refuses to mean."""

from email.message import EmailMessage

import pytest

from preferences.inbound.mail import read_message
from preferences.inbound.signals import Kind
from preferences.tokens import read_unsubscribe_token
from tests.preferences.inbound import samples


def kinds(signals):
    return [(s.kind, s.address, s.reason) for s in signals]


def test_a_mailto_reply_carries_the_token_from_its_subject(alice, newsletter, token_for):
    token = token_for(alice, newsletter)
    [signal] = read_message(samples.mailto(token))
    assert signal.kind == Kind.MAILTO and signal.tokens == (token,)
    assert signal.address is None  # the sender is not what a token unsubscribes


def test_a_reply_keeps_the_token_through_re_and_encoded_words(alice, newsletter, token_for):
    token = token_for(alice, newsletter)
    raw = samples.mailto(None, subject=f"Re: unsubscribe {token} \u00e9t\u00e9 merci")
    assert read_message(raw)[0].tokens == (token,)


def test_the_token_may_ride_in_a_plus_address(alice, newsletter, token_for):
    token = token_for(alice, newsletter)
    dotted = token.replace(":", ".")
    [signal] = read_message(samples.mailto(None, subject="please", to="x@example.com"),
                            recipients=[f"unsubscribe+{dotted}@mail.example.com"])
    assert signal.kind == Kind.MAILTO and signal.tokens == (token,)


def test_an_edited_token_names_nobody(alice, newsletter, token_for):
    token = token_for(alice, newsletter)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert kinds(read_message(samples.mailto(forged))) == [(Kind.IGNORED, None,
                                                            "mailto:bad_token")]
    assert kinds(read_message(samples.mailto(None, subject="unsubscribe"))) == [
        (Kind.IGNORED, None, "mailto:no_token")]


def test_acting_on_the_sender_needs_dmarc_pass_from_our_own_mta():
    passed = [("Authentication-Results",
               "mx.mail.example.com; spf=pass smtp.mailfrom=example.com; "
               "dkim=pass header.d=example.com; dmarc=pass (p=reject) header.from=example.com")]
    raw = samples.mailto(None, subject="unsubscribe me", headers=passed)
    on = {"act_on_sender": True, "authserv_id": "mx.mail.example.com"}
    assert kinds(read_message(raw, **on)) == [(Kind.SENDER, "alice@example.com", "")]
    # Off by default; another authserv-id's header is anyone's word.
    assert read_message(raw)[0].kind == Kind.IGNORED
    assert read_message(raw, act_on_sender=True, authserv_id="other.example")[0].kind == \
        Kind.IGNORED
    failed = [("Authentication-Results", "mx.mail.example.com; dmarc=fail header.from=example.com")]
    assert read_message(samples.mailto(None, subject="x", headers=failed), **on)[0].kind == \
        Kind.IGNORED
    other_domain = [("Authentication-Results",
                     "mx.mail.example.com; dmarc=pass header.from=evil.example")]
    assert read_message(samples.mailto(None, subject="x", headers=other_domain), **on)[0].kind \
        == Kind.IGNORED


def test_a_forged_header_below_our_mtas_does_not_count():
    """Our MTA prepends its header; one the sender wrote further down is not read."""
    ours = ("Authentication-Results", "mx.mail.example.com; dmarc=fail header.from=example.com")
    forged = ("Authentication-Results", "mx.mail.example.com; dmarc=pass header.from=example.com")
    raw = samples.mailto(None, subject="x", headers=[ours, forged])
    assert read_message(raw, act_on_sender=True, authserv_id="mx.mail.example.com")[0].kind \
        == Kind.IGNORED


def test_an_arf_complaint_names_the_token_in_the_original(alice, newsletter, list_unsubscribe):
    embedded = samples.original(list_unsubscribe=list_unsubscribe(alice, newsletter))
    [signal] = read_message(samples.arf(embedded=embedded))
    assert signal.kind == Kind.COMPLAINT
    [token] = signal.tokens  # the https and the mailto link carry the same one
    claim = read_unsubscribe_token(token)
    assert (claim.subject_id, claim.topic_slug) == (alice.public_id, "newsletter")


def test_an_arf_complaint_without_token_names_the_reported_recipient():
    [signal] = read_message(samples.arf(original_rcpt_to="carol@example.net"))
    assert (signal.kind, signal.address) == (Kind.COMPLAINT, "carol@example.net")
    [signal] = read_message(samples.arf(embedded=samples.original(to="dan@example.net"),
                                        headers_only=True))
    assert (signal.kind, signal.address) == (Kind.COMPLAINT, "dan@example.net")


@pytest.mark.parametrize("feedback_type", ["not-spam", "auth-failure", "virus", "other"])
def test_reports_that_are_not_complaints_are_ignored(feedback_type):
    [signal] = read_message(samples.arf(feedback_type=feedback_type,
                                        original_rcpt_to="carol@example.net"))
    assert signal.kind == Kind.IGNORED and signal.reason == f"feedback:{feedback_type}"


def test_a_dsn_gives_one_signal_per_failed_recipient():
    raw = samples.dsn([("gone@example.org", "failed", "5.1.1"),
                       ("full@example.org", "delayed", "4.2.2"),
                       ("later@example.org", "failed", "4.0.0"),
                       ("fine@example.org", "delivered", "2.0.0"),
                       ("relayed@example.org", "relayed", "2.0.0")])
    assert kinds(read_message(raw)) == [(Kind.HARD_BOUNCE, "gone@example.org", ""),
                                        (Kind.SOFT_BOUNCE, "full@example.org", ""),
                                        (Kind.SOFT_BOUNCE, "later@example.org", "")]


def test_a_dsn_with_nothing_failed_is_ignored():
    raw = samples.dsn([("fine@example.org", "delivered", "2.0.0")])
    assert kinds(read_message(raw)) == [(Kind.IGNORED, None, "dsn:no_failure")]


def test_a_message_id_names_the_message_across_retries():
    raw = samples.dsn([("gone@example.org", "failed", "5.1.1")], message_id="<a@b.example>")
    again = b"Received: from relay.example by mx; Mon, 1 Jan 2024 00:00:00 +0000\r\n" + raw
    assert read_message(raw)[0].key == read_message(again)[0].key == "mail:<a@b.example>:0"


@pytest.mark.parametrize("raw", [b"", b"\x00\xff garbage", b"Subject: hi\r\n\r\nbody",
                                 b"Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\n",
                                 b"Content-Type: message/delivery-status\r\n\r\n\r\n\r\n"])
def test_whatever_arrives_is_ignored_rather_than_a_crash(raw):
    [signal] = read_message(raw)
    assert signal.kind == Kind.IGNORED


def test_base64_encoded_report_parts_are_read():
    report = EmailMessage()
    report["Content-Type"] = 'multipart/report; report-type=feedback-report; boundary="b"'
    body = ("--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n"
            "--b\r\nContent-Type: message/feedback-report\r\nContent-Transfer-Encoding: base64"
            "\r\n\r\nRmVlZGJhY2stVHlwZTogYWJ1c2UNClZlcnNpb246IDENCk9yaWdpbmFsLVJjcHQtVG86IDxlQGV4"
            "YW1wbGUubmV0Pg0K\r\n--b--\r\n")
    raw = b"Message-ID: <z@example>\r\n" + bytes(report)[:-2] + body.encode()
    [signal] = read_message(raw)
    assert (signal.kind, signal.address) == (Kind.COMPLAINT, "e@example.net")
