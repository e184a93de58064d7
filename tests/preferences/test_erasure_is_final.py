"""Erasure is final: after alice's erasure every link she was ever sent (preference
center, one-click, export, confirmation, renewal) answers the plain "Your data has been
erased" page and changes nothing, and no service, API call or task writes to her.
Bob, erased by nobody, is untouched throughout."""

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

import audit
from anonymizer import erasure
from anonymizer.models import ErasureRequest
from audit.models import AuditEvent
from preferences import services
from preferences.erased import SubjectErased
from preferences.inbound import services as inbound_services
from preferences.models import ConsentEvent, DataExport, Subject, Subscription
from preferences.privacy import exports
from preferences.privacy import services as privacy_services
from preferences.signup import services as signup_services
from preferences.tokens import (
    PREFERENCES_SALT,
    make_confirmation_token,
    make_preferences_token,
    make_unsubscribe_token,
)
from tests.common.api import error_of

ERASED = "Your data has been erased"


def erase(subject, capture) -> ErasureRequest:
    """alice's erasure, run to the end as the worker and beat would."""
    with capture(execute=True):
        request = erasure.erasure_open(public_id=subject.public_id, source="staff",
                                       actor=audit.SYSTEM)
    for _ in range(20):
        with capture(execute=True):
            erasure.erasure_run(request_id=request.pk)
            erasure.erasure_sweep()
        request.refresh_from_db()
        if request.status == "done":
            break
    assert request.status == "done"
    return request


def plan_only(subject) -> ErasureRequest:
    """alice's erasure planned but no step run yet: her row still holds her address."""
    request = erasure.erasure_open(public_id=subject.public_id, source="staff",
                                   actor=audit.SYSTEM)
    erasure.erasure_plan(request_id=request.pk)
    return request


def written() -> tuple:
    """What a write would add to: consent history, subscriptions, exports, audit."""
    return (ConsentEvent.objects.count(), Subscription.objects.count(),
            DataExport.objects.count(), AuditEvent.objects.count(), len(mail.outbox))


@pytest.fixture
def links(alice, newsletter):
    """Every link alice was sent before she was erased."""
    expired = signing.TimestampSigner(salt=PREFERENCES_SALT)
    expired.timestamp = lambda: signing.b62_encode(int(timezone.now().timestamp()) - 30 * 86400)
    return {
        "center": reverse("preferences:center", args=[make_preferences_token(subject=alice)]),
        "one_click": reverse("preferences:one_click",
                             args=[make_unsubscribe_token(subject=alice, topic=newsletter)]),
        "confirm": reverse("preferences:confirm",
                           args=[make_confirmation_token(subject=alice, topics=["offers"])]),
        "expired": reverse("preferences:center",
                           args=[expired.sign_object([alice.public_id.hex])]),
    }


@pytest.fixture
def erased_alice(alice, bob, links, django_capture_on_commit_callbacks):
    erase(alice, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    return Subject.objects.get(pk=alice.pk)


def assert_erased_page(response):
    assert response.status_code == 410
    page = response.content.decode()
    assert ERASED in page
    for offer in ("Resubscribe", "Subscribe", "Download my data", "We emailed you"):
        assert offer not in page


def test_the_preference_link_shows_only_that_she_was_erased(client, links, erased_alice):
    assert_erased_page(client.get(links["center"]))


@pytest.mark.parametrize("action", [
    {"action": "resubscribe_all"}, {"action": "subscribe", "topic": "newsletter"},
    {"action": "export"}, {"action": "purposes_all_off"}, {"action": "unsubscribe_all"}])
def test_the_preference_center_writes_nothing(client, links, erased_alice, action):
    before = written()
    assert_erased_page(client.post(links["center"], action))
    assert written() == before
    assert Subject.objects.get(pk=erased_alice.pk).unsubscribed_all  # still nothing sent


def test_one_click_shows_the_page_and_writes_nothing(client, links, erased_alice):
    before = written()
    assert_erased_page(client.get(links["one_click"]))
    assert_erased_page(client.post(links["one_click"], {"List-Unsubscribe": "One-Click"}))
    assert written() == before


def test_the_confirmation_link_writes_nothing(client, links, erased_alice):
    before = written()
    assert_erased_page(client.get(links["confirm"]))
    assert_erased_page(client.post(links["confirm"]))
    assert written() == before


def test_an_expired_link_sends_no_new_one(client, links, erased_alice):
    before = written()
    assert_erased_page(client.post(links["expired"] + "renew/"))
    assert written() == before


def test_the_download_link_shows_the_page(client, alice, bob, settings, tmp_path,
                                          django_capture_on_commit_callbacks):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(subject=alice, source="preference_center", actor=alice)
    export.refresh_from_db()
    assert export.status == "sent"
    link = reverse("preferences:export_download", args=[exports.make_export_token(export)])
    erase(alice, django_capture_on_commit_callbacks)
    assert_erased_page(client.get(link))
    assert list(tmp_path.glob("*.zip.enc")) == [] or not DataExport.objects.exists()


def test_the_api_refuses_every_write_with_410(api, erased_alice, purposes):
    client = api("subjects:write", "subjects:read", "erasure")
    base = f"/api/v1/subjects/{erased_alice.public_id}"
    before = written()
    calls = [
        client.patch(f"{base}/subscriptions",
                     {"changes": [{"topic": "newsletter", "status": "subscribed"}]},
                     format="json"),
        client.patch(f"{base}/purposes", {"purposes": {"analytics": True}}, format="json"),
        client.post(f"{base}/unsubscribe-all"),
        client.post(f"{base}/export"),
    ]
    for response in calls:
        error_of(response, 410, "erased")
    assert written() == before


# --- between the plan and the last step: her row still holds her address ---------------

def test_no_service_writes_once_the_erasure_began(alice, bob, newsletter, offers, purposes):
    plan_only(alice)
    before = written()
    with pytest.raises(SubjectErased):
        services.subscription_set(subject=alice, topic=newsletter, status="subscribed",
                                  source="api", actor=audit.SYSTEM)
    with pytest.raises(SubjectErased):
        services.subject_resubscribe_all(subject=alice, source="api", actor=audit.SYSTEM)
    with pytest.raises(SubjectErased):
        privacy_services.purpose_set(subject=alice, purpose=purposes["analytics"],
                                     granted=True, source="api", actor=audit.SYSTEM)
    with pytest.raises(SubjectErased):
        privacy_services.purposes_apply_gpc(subject=alice)
    with pytest.raises(SubjectErased):
        exports.export_request(subject=alice, source="api", actor=audit.SYSTEM)
    with pytest.raises(SubjectErased):
        services.subject_upsert(actor=audit.SYSTEM, source="api", email="alice@example.com",
                                subscriptions={"offers": True})
    with pytest.raises(SubjectErased):
        signup_services.subject_confirm(subject=alice, topics=["offers"])
    with pytest.raises(SubjectErased):
        services.subscription_unsubscribe_by_token(subject_id=alice.public_id,
                                                   topic_slug="offers")
    assert written()[:4] == before[:4]
    # bob is not erased: the same calls work for him
    assert services.subscription_set(subject=bob, topic=offers, status="unsubscribed",
                                     source="api", actor=audit.SYSTEM)


def test_no_task_mails_her_once_the_erasure_began(alice, settings, tmp_path):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    export = DataExport.objects.create(subject=alice, source="api")  # asked before
    plan_only(alice)
    assert services.preference_link_send(subject_id=str(alice.public_id)) is False
    assert signup_services.confirmation_send(subject_id=str(alice.public_id),
                                             topics=["offers"]) is False
    assert exports.export_build(export_id=export.pk) == "skipped"
    assert mail.outbox == []
    assert list(tmp_path.iterdir()) == []


def test_an_unsubscribe_by_mail_for_her_is_applied_as_nothing(alice, newsletter, settings):
    """A mailto reply carrying her token, arriving after her erasure began: recorded,
    applied, nothing changed, and no error that would make the MTA retry forever."""
    from preferences.inbound.signals import Kind
    from preferences.models import InboundEvent

    event = InboundEvent.objects.create(key="k" * 64, channel="pipe", kind=Kind.MAILTO,
                                        subject_public_id=alice.public_id,
                                        topic_slug=newsletter.slug)
    plan_only(alice)
    before = written()
    inbound_services.inbound_events_apply(ids=[event.pk])
    event.refresh_from_db()
    assert event.status == "applied" and event.changed is False
    assert written()[:3] == before[:3]
