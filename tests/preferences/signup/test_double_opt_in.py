"""Double opt-in: a sign-up from an untrusted source stays pending until the
subject clicks the signed confirmation link; unconfirmed ones are deleted."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

import audit
from audit.models import AuditEvent
from common.crypto import email_digest
from preferences import selectors, services
from preferences.models import ConsentEvent, Subject, Subscription
from preferences.privacy import selectors as privacy_selectors
from preferences.signup import services as signup_services
from preferences.tokens import CONFIRMATION_SALT


def link_in(message) -> str:
    return re.search(r"http\S+/s/confirm/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def signed_up(client, newsletter, offers, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("preferences:signup"),
                               {"email": "eve@example.com", "topics": ["offers"]})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    return Subject.objects.get(email_digest=email_digest("eve@example.com"))


def allowed(subject, topic):
    return selectors.consent_allowed(topic=topic, recipients=["eve@example.com",
                                                              str(subject.public_id)])


def test_a_public_sign_up_stays_pending(signed_up, offers, newsletter, mailoutbox):
    assert signed_up.pending_since is not None
    statuses = dict(Subscription.objects.filter(subject=signed_up)
                    .values_list("topic__slug", "status"))
    assert statuses == {"offers": "pending", "newsletter": "pending"}  # newsletter: default
    assert allowed(signed_up, offers) == [] and allowed(signed_up, newsletter) == []
    assert [m.to for m in mailoutbox] == [["eve@example.com"]]
    assert "confirm" in mailoutbox[0].subject.lower()


def test_the_sign_up_page_asks_for_topics(client, newsletter, sms_alerts):
    page = client.get(reverse("preferences:signup")).content.decode()
    assert "Newsletter" in page and "SMS alerts" not in page  # email topics only
    response = client.post(reverse("preferences:signup"), {"email": "not an address"})
    assert response.status_code == 400
    assert not Subject.objects.exists()


def test_confirming_makes_it_real_and_is_a_consent_event(client, signed_up, offers,
                                                         mailoutbox):
    url = path_of(link_in(mailoutbox[0]))
    page = client.get(url)  # a mail scanner's prefetch changes nothing
    assert page.status_code == 200 and "Yes, sign me up" in page.content.decode()
    assert Subject.objects.get(pk=signed_up.pk).pending_since is not None
    done = client.post(url)
    assert "confirmed" in done.content.decode()
    subject = Subject.objects.get(pk=signed_up.pk)
    assert subject.pending_since is None
    assert allowed(subject, offers) == ["eve@example.com", str(subject.public_id)]
    event = ConsentEvent.objects.filter(subject=subject, source="confirmation").get(
        topic=offers)
    assert (event.old_status, event.new_status) == ("pending", "subscribed")
    assert AuditEvent.objects.filter(action="subject.confirmed").exists()


def test_an_edited_or_expired_link_confirms_nothing(client, signed_up, mailoutbox, settings):
    url = path_of(link_in(mailoutbox[0]))
    assert client.post(url[:-3] + "xx/").status_code == 404
    signer = signing.TimestampSigner(salt=CONFIRMATION_SALT)
    signer.timestamp = lambda: signing.b62_encode(
        int(timezone.now().timestamp()) - settings.HUSH_DOI_EXPIRY - 60)
    old = signer.sign_object([signed_up.public_id.hex, ["offers"]])
    assert client.post(reverse("preferences:confirm", args=[old])).status_code == 404
    assert Subject.objects.get(pk=signed_up.pk).pending_since is not None


def test_the_api_takes_double_opt_in(api, offers, newsletter, mailoutbox,
                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api("subjects:write").post("/api/v1/subjects", {
            "email": "frank@example.com", "subscriptions": {"offers": True},
            "double_opt_in": True}, format="json")
    assert response.status_code == 200, response.content
    subject = Subject.objects.get(public_id=response.json()["id"])
    assert subject.pending_since is not None
    assert Subscription.objects.get(subject=subject, topic=offers).status == "pending"
    assert len(mailoutbox) == 1
    no_email = api("subjects:write").post("/api/v1/subjects", {
        "external_id": "x-1", "double_opt_in": True}, format="json")
    assert no_email.status_code == 400


def test_an_existing_subjects_new_topic_waits_for_confirmation(alice, sms_alerts, offers,
                                                               mailoutbox):
    services.subject_upsert(actor=audit.SYSTEM, source="signup", email="alice@example.com",
                            subscriptions={"sms-alerts": True, "offers": True},
                            double_opt_in=True)
    alice.refresh_from_db()
    assert alice.pending_since is None  # she was confirmed before
    assert Subscription.objects.get(subject=alice, topic=sms_alerts).status == "pending"
    assert Subscription.objects.get(subject=alice, topic=offers).status == "subscribed"


def test_unconfirmed_sign_ups_are_deleted_after_the_window(signed_up, alice, sms_alerts,
                                                           settings):
    services.subject_upsert(actor=audit.SYSTEM, source="signup", email="alice@example.com",
                            subscriptions={"sms-alerts": True}, double_opt_in=True)
    assert signup_services.unconfirmed_purge() == {"subjects": 0, "subscriptions": 0}
    later = timezone.now() + timedelta(seconds=settings.HUSH_DOI_EXPIRY + 1)
    result = signup_services.unconfirmed_purge(now=later)
    assert result["subjects"] == 1
    assert not Subject.objects.filter(pk=signed_up.pk).exists()
    assert not ConsentEvent.objects.filter(subject_id=signed_up.pk).exists()
    assert Subject.objects.filter(pk=alice.pk).exists()
    assert not Subscription.objects.filter(subject=alice, topic=sms_alerts).exists()
    assert AuditEvent.objects.filter(action="subject.purged_unconfirmed",
                                     target_id=str(signed_up.public_id)).exists()


def test_the_api_cannot_set_a_subscription_pending(api, alice, offers):
    response = api("subjects:write").patch(
        f"/api/v1/subjects/{alice.public_id}/subscriptions",
        {"changes": [{"topic": "offers", "status": "pending"}]}, format="json")
    assert response.status_code == 400
    assert Subscription.objects.get(subject=alice, topic=offers).status == "subscribed"


def test_a_pending_subject_is_never_allowed_a_purpose(purposes, newsletter):
    subject, _ = services.subject_upsert(actor=audit.SYSTEM, source="signup",
                                         email="eve@example.com", country="US",
                                         subscriptions={"newsletter": True},
                                         double_opt_in=True)
    everyone = ["eve@example.com", str(subject.public_id)]
    assert privacy_selectors.purpose_allowed(purpose=purposes["personalisation"],
                                     recipients=everyone) == []
    signup_services.subject_confirm(subject=subject, topics=["newsletter"])
    assert privacy_selectors.purpose_allowed(purpose=purposes["personalisation"],
                                     recipients=everyone) == everyone
