"""The email providers' webhooks, called as each provider calls them: signed with keys
the tests generate (an SNS signing certificate served over https from 127.0.0.1)."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from common.crypto import email_digest
from preferences.inbound import counters
from preferences.inbound.providers import ses
from preferences.models import (
    ConsentEvent,
    DailyCount,
    InboundEvent,
    Subscription,
    Suppression,
)
from tests.preferences.inbound.tls import Authority, HttpsServer, certificate, pem

pytestmark = pytest.mark.django_db


def rejected(channel):
    return sum(DailyCount.objects.filter(name=counters.rejected_name(channel))
               .values_list("count", flat=True))


def suppressed(address):
    row = Suppression.objects.filter(email_digest=email_digest(address)).first()
    return row.reason if row else None


def nothing_recorded():
    return not InboundEvent.objects.exists() and not Suppression.objects.exists()


# --- SendGrid -------------------------------------------------------------------

@pytest.fixture
def sendgrid_key(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    settings.HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY = base64.b64encode(public).decode()
    return key


def sendgrid_post(client, key, events, *, timestamp=None, body=None, signature=None):
    body = body if body is not None else json.dumps(events).encode()
    timestamp = str(int(timestamp or time.time()))
    if signature is None:
        signature = base64.b64encode(key.sign(timestamp.encode() + body,
                                              ec.ECDSA(hashes.SHA256()))).decode()
    return client.post("/inbound/sendgrid/", body, content_type="application/json",
                       HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=signature,
                       HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp)


def sg_event(event, email, **extra):
    return {"email": email, "timestamp": int(time.time()), "event": event,
            "sg_event_id": uuid.uuid4().hex, "sg_message_id": "14c5d75ce93.dfd.64b469", **extra}


def test_it_is_off_until_configured(client, settings):
    settings.HUSH_SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    assert client.post("/inbound/sendgrid/", "[]", content_type="application/json") \
        .status_code == 404


def test_a_sendgrid_batch_suppresses_and_unsubscribes(client, sendgrid_key, alice, bob,
                                                      newsletter, offers):
    events = [sg_event("bounce", "gone@example.org", type="bounce", status="5.1.1"),
              sg_event("bounce", "busy@example.org", type="blocked", status="4.0.0"),
              sg_event("spamreport", "bob@example.org"),
              sg_event("group_unsubscribe", "alice@example.com", asm_group_id=42,
                       hush_topic="offers"),
              sg_event("delivered", "carol@example.net"),
              sg_event("open", "carol@example.net")]
    response = sendgrid_post(client, sendgrid_key, events)
    assert response.status_code == 200
    assert response.json() == {"recorded": 4, "duplicate": 0, "ignored": 2}
    assert suppressed("gone@example.org") == "bounce"
    assert suppressed("busy@example.org") is None  # one soft bounce is counted, not acted on
    assert suppressed("bob@example.org") == "complaint"
    assert Subscription.objects.get(subject=alice, topic=offers).status == "unsubscribed"
    assert ConsentEvent.objects.get(subject=alice, topic=offers,
                                    new_status="unsubscribed").source == "esp_unsubscribe"
    # SendGrid retries the whole batch: nothing is applied twice.
    again = sendgrid_post(client, sendgrid_key, events)
    assert again.json()["duplicate"] == 4
    assert ConsentEvent.objects.filter(source__in=["esp_unsubscribe", "complaint"]).count() == 2


@pytest.mark.parametrize("tamper", ["signature", "body", "stale", "missing", "not_a_batch",
                                    "not_json"])
def test_a_sendgrid_call_that_is_not_sendgrids_changes_nothing(client, sendgrid_key, tamper):
    events = [sg_event("spamreport", "victim@example.org")]
    body = json.dumps(events).encode()
    kwargs = {}
    if tamper == "signature":
        other = ec.generate_private_key(ec.SECP256R1())
        kwargs["signature"] = base64.b64encode(
            other.sign(str(int(time.time())).encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    elif tamper == "body":
        ts = str(int(time.time()))
        kwargs["signature"] = base64.b64encode(sendgrid_key.sign(
            ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
        kwargs["body"] = body.replace(b"victim", b"victin")
    elif tamper == "stale":
        kwargs["timestamp"] = time.time() - 301
    elif tamper == "missing":
        kwargs["signature"] = ""
    elif tamper == "not_a_batch":
        kwargs["body"] = b'{"event": "spamreport", "email": "victim@example.org"}'
    elif tamper == "not_json":
        kwargs["body"] = b"email=victim@example.org"
    response = sendgrid_post(client, sendgrid_key, events, **kwargs)
    assert 400 <= response.status_code < 500
    assert nothing_recorded() and rejected("sendgrid") == 1
    assert b"victim" not in response.content


def test_a_batch_of_a_thousand_is_answered_and_every_event_applied(
        client, sendgrid_key, newsletter, settings, django_capture_on_commit_callbacks):
    settings.HUSH_INBOUND_INLINE_MAX = 50  # the rest by workers (in-process here)
    events = [sg_event("bounce", f"user{i}@example.org", type="bounce") for i in range(1000)]
    with django_capture_on_commit_callbacks(execute=True):
        response = sendgrid_post(client, sendgrid_key, events)
    assert response.status_code == 200 and response.json()["recorded"] == 1000
    assert Suppression.objects.filter(reason="bounce").count() == 1000


# --- Mailgun --------------------------------------------------------------------

@pytest.fixture
def mailgun_key(settings):
    settings.HUSH_MAILGUN_WEBHOOK_SIGNING_KEY = "key-" + uuid.uuid4().hex
    return settings.HUSH_MAILGUN_WEBHOOK_SIGNING_KEY


def mailgun_post(client, key, event_data, *, timestamp=None, token=None, signature=None):
    timestamp = str(int(timestamp or time.time()))
    token = token or uuid.uuid4().hex * 2
    signature = signature or hmac.new(key.encode(), (timestamp + token).encode(),
                                      hashlib.sha256).hexdigest()
    body = {"signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event_data}
    return client.post("/inbound/mailgun/", json.dumps(body), content_type="application/json")


def mg_event(event, recipient, **extra):
    return {"event": event, "id": uuid.uuid4().hex[:22], "timestamp": time.time(),
            "recipient": recipient, "log-level": "error", **extra}


def test_mailgun_events(client, mailgun_key, alice, newsletter):
    assert mailgun_post(client, mailgun_key, mg_event(
        "failed", "gone@example.org", severity="permanent", reason="bounce",
        **{"delivery-status": {"code": 550, "message": "5.1.1 no such user"}})).status_code == 200
    assert suppressed("gone@example.org") == "bounce"
    mailgun_post(client, mailgun_key, mg_event("complained", "bad@example.org"))
    assert suppressed("bad@example.org") == "complaint"
    mailgun_post(client, mailgun_key, mg_event("unsubscribed", "alice@example.com",
                                               **{"user-variables": {"hush_topic": "newsletter"}}))
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"
    mailgun_post(client, mailgun_key, mg_event("failed", "later@example.org",
                                               severity="temporary"))
    assert suppressed("later@example.org") is None


def test_a_mailgun_token_seen_twice_is_ignored(client, mailgun_key):
    token = "t" * 50
    first = mailgun_post(client, mailgun_key, mg_event("complained", "one@example.org"),
                         token=token)
    replay = mailgun_post(client, mailgun_key, mg_event("complained", "two@example.org"),
                          token=token)
    assert first.status_code == replay.status_code == 200
    assert suppressed("one@example.org") == "complaint"
    assert suppressed("two@example.org") is None


@pytest.mark.parametrize("tamper", ["signature", "stale", "no_signature", "no_event"])
def test_a_mailgun_call_that_is_not_mailguns_changes_nothing(client, mailgun_key, tamper):
    event = mg_event("complained", "victim@example.org")
    if tamper == "signature":
        response = mailgun_post(client, mailgun_key, event, signature="0" * 64)
    elif tamper == "stale":
        response = mailgun_post(client, mailgun_key, event, timestamp=time.time() - 600)
    elif tamper == "no_signature":
        response = client.post("/inbound/mailgun/", json.dumps({"event-data": event}),
                               content_type="application/json")
    else:
        response = mailgun_post(client, mailgun_key, "not an object")
    assert 400 <= response.status_code < 500
    assert nothing_recorded() and rejected("mailgun") == 1


# --- Postmark -------------------------------------------------------------------

@pytest.fixture
def postmark_auth(settings):
    settings.HUSH_POSTMARK_WEBHOOK_USER = "postmark"
    settings.HUSH_POSTMARK_WEBHOOK_PASSWORD = "s3cret-" + uuid.uuid4().hex
    credentials = f"postmark:{settings.HUSH_POSTMARK_WEBHOOK_PASSWORD}".encode()
    return "Basic " + base64.b64encode(credentials).decode()


def postmark_post(client, auth, body):
    return client.post("/inbound/postmark/", json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=auth)


def test_postmark_events(client, postmark_auth, alice, newsletter):
    bounce = {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce",
              "TypeCode": 1, "Name": "Hard bounce", "MessageStream": "outbound",
              "Email": "gone@example.org", "BouncedAt": "2019-11-05T16:33:54.9070259Z"}
    assert postmark_post(client, postmark_auth, bounce).status_code == 200
    assert suppressed("gone@example.org") == "bounce"
    complaint = {"RecordType": "SpamComplaint", "ID": 42, "Type": "SpamComplaint",
                 "Email": "bad@example.org"}
    postmark_post(client, postmark_auth, complaint)
    assert suppressed("bad@example.org") == "complaint"
    change = {"RecordType": "SubscriptionChange", "MessageID": str(uuid.uuid4()),
              "ServerID": 23, "MessageStream": "outbound", "ChangedAt": "2020-02-01T10:53:34Z",
              "Recipient": "alice@example.com", "Origin": "Recipient",
              "SuppressSending": True, "SuppressionReason": "ManualSuppression",
              "Metadata": {"hush_topic": "newsletter"}}
    postmark_post(client, postmark_auth, change)
    assert Subscription.objects.get(subject=alice, topic=newsletter).status == "unsubscribed"
    reactivated = {**change, "SuppressSending": False, "ChangedAt": "2020-02-02T10:53:34Z"}
    assert postmark_post(client, postmark_auth, reactivated).json()["ignored"] == 1


@pytest.mark.parametrize("auth", ["", "Basic " + base64.b64encode(b"postmark:wrong").decode(),
                                  "Bearer x", "Basic !!!"])
def test_postmark_without_the_credentials_changes_nothing(client, postmark_auth, auth):
    response = postmark_post(client, auth, {"RecordType": "SpamComplaint", "ID": 1,
                                            "Email": "victim@example.org"})
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert nothing_recorded() and rejected("postmark") == 1


# --- Amazon SES through SNS -----------------------------------------------------

TOPIC = "arn:aws:sns:us-west-2:123456789012:ses-feedback"


@pytest.fixture
def sns(tmp_path, settings, monkeypatch):
    """An SNS signing certificate served over https from 127.0.0.1, trusted through
    SSL_CERT_FILE, with the allowed hosts configured to that server."""
    authority = Authority(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.ca_file))
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_cert = certificate(signing_key, common="sns.amazonaws.com")
    ses._certificate.cache_clear()
    with HttpsServer(authority, {"/SimpleNotificationService-abc.pem": pem(signing_cert),
                                 "/confirm": b"<ConfirmSubscriptionResponse/>"}) as server:
        settings.HUSH_SES_TOPIC_ARNS = [TOPIC]
        settings.HUSH_SNS_CERT_HOSTS = [f"127.0.0.1:{server.port}"]
        server.signing_key = signing_key
        yield server
    ses._certificate.cache_clear()


def sns_message(server, kind="Notification", *, message="", version="2", topic=TOPIC,
                timestamp=None, cert_url=None, key=None):
    body = {"Type": kind, "MessageId": str(uuid.uuid4()), "TopicArn": topic,
            "Message": message, "Timestamp": (timestamp or datetime.now(UTC)).strftime(
                "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "SignatureVersion": version,
            "SigningCertURL": cert_url or server.url("/SimpleNotificationService-abc.pem")}
    if kind == "Notification":
        body["Subject"] = "Amazon SES Email Event Notification"
        body["UnsubscribeURL"] = server.url("/unsubscribe")
    else:
        body["Token"] = "2336412f37fb687f5d51e6e241d638b05824e9e2f6713b42abaeb8607743f5ba"
        body["SubscribeURL"] = server.url("/confirm?Action=ConfirmSubscription&Token=2336")
    fields = ses.SIGNED_FIELDS[kind]
    signed = "".join(f"{k}\n{body[k]}\n" for k in fields if k in body).encode()
    digest = ses.HASHES[version]()  # SNS v1 is SHA1withRSA: what AWS signs, not a choice
    body["Signature"] = base64.b64encode(
        (key or server.signing_key).sign(signed, padding.PKCS1v15(), digest)).decode()
    return body


def sns_post(client, body):
    return client.post("/inbound/ses/", json.dumps(body), content_type="text/plain",
                       HTTP_X_AMZ_SNS_MESSAGE_TYPE=body["Type"])


def ses_bounce(*addresses, bounce_type="Permanent"):
    return json.dumps({"notificationType": "Bounce", "bounce": {
        "bounceType": bounce_type, "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": a, "action": "failed", "status": "5.1.1"}
                              for a in addresses],
        "timestamp": "2016-01-27T14:59:38.237Z", "feedbackId": "00000138111222aa-33322211"},
        "mail": {"messageId": "000001378603177f-7a5433e7", "source": "news@shop.example.com",
                 "destination": list(addresses)}})


def test_the_subscription_is_confirmed_through_its_subscribe_url(client, sns):
    response = sns_post(client, sns_message(sns, "SubscriptionConfirmation", message="confirm"))
    assert response.status_code == 200
    assert any(hit.startswith("/confirm?") for hit in sns.hits)


@pytest.mark.parametrize("version", ["1", "2"])
def test_ses_bounces_and_complaints_through_sns(client, sns, version, bob, newsletter):
    assert sns_post(client, sns_message(sns, message=ses_bounce("gone@example.org"),
                                        version=version)).status_code == 200
    assert suppressed("gone@example.org") == "bounce"
    complaint = json.dumps({"notificationType": "Complaint", "complaint": {
        "complainedRecipients": [{"emailAddress": "bob@example.org"}],
        "complaintFeedbackType": "abuse", "feedbackId": "0000013786031775-163e3910"},
        "mail": {"messageId": "000001378603177f-7a5433e7"}})
    sns_post(client, sns_message(sns, message=complaint, version=version))
    assert suppressed("bob@example.org") == "complaint"
    sns_post(client, sns_message(sns, message=ses_bounce("later@example.org",
                                                         bounce_type="Transient")))
    assert suppressed("later@example.org") is None


@pytest.mark.parametrize("tamper", ["signature", "topic", "cert_host", "cert_scheme", "stale",
                                    "message", "version", "not_sns"])
def test_an_sns_call_that_is_not_from_the_configured_topic_changes_nothing(client, sns,
                                                                           tamper):
    kwargs = {"message": ses_bounce("victim@example.org")}
    if tamper == "signature":
        kwargs["key"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif tamper == "topic":
        kwargs["topic"] = "arn:aws:sns:us-west-2:999999999999:attacker"
    elif tamper == "cert_host":
        kwargs["cert_url"] = "https://sns.evil.example/SimpleNotificationService-abc.pem"
    elif tamper == "cert_scheme":
        kwargs["cert_url"] = f"http://127.0.0.1:{sns.port}/SimpleNotificationService-abc.pem"
    elif tamper == "stale":
        kwargs["timestamp"] = datetime.now(UTC) - timedelta(minutes=6)
    body = sns_message(sns, **kwargs)
    if tamper == "version":
        body["SignatureVersion"] = "3"
    if tamper == "message":
        body["Message"] = body["Message"].replace("victim", "victin")
    if tamper == "not_sns":
        body = {"hello": "world"}
        response = client.post("/inbound/ses/", json.dumps(body), content_type="text/plain")
    else:
        response = sns_post(client, body)
    assert 400 <= response.status_code < 500, tamper
    assert nothing_recorded() and rejected("ses") == 1
    if tamper in ("cert_host", "cert_scheme", "topic"):
        assert sns.hits == []  # refused before anything was fetched


def test_allowed_hosts_match_one_label_per_star(settings):
    settings.HUSH_SNS_CERT_HOSTS = ["sns.*.amazonaws.com"]
    assert ses.allowed_url("https://sns.eu-west-1.amazonaws.com/x.pem", certificate=True)
    assert not ses.allowed_url("https://sns.evil.example.amazonaws.com.evil/x.pem")
    assert not ses.allowed_url("https://sns.a.b.amazonaws.com/x.pem", certificate=True)
    assert not ses.allowed_url("https://sns.eu-west-1.amazonaws.com/x.txt", certificate=True)
    assert not ses.allowed_url("https://user@sns.eu-west-1.amazonaws.com/x.pem")
    assert not ses.allowed_url("https://sns.eu-west-1.amazonaws.com:8443/x.pem")
