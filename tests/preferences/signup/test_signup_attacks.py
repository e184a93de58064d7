"""The attacks on the anonymous sign-up form (/s/) and on every mail Hush sends: a
sign-up for someone else's address changes nothing about them, floods nobody, answers
as for a stranger; a suppressed address is never mailed by any path."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import audit
from audit.models import AuditEvent
from common.crypto import email_digest
from preferences import services
from preferences.models import ConsentEvent, DataExport, Subject, Subscription
from preferences.privacy import exports
from preferences.signup import services as signup_services
from tests.anonymizer.test_erasure import drive, erase

SIGNUP = "/s/"


def sign_up(client, email, topics=("offers", "newsletter"), ip="198.51.100.7", **headers):
    return client.post(SIGNUP, {"email": email, "topics": list(topics)}, REMOTE_ADDR=ip,
                       headers=headers)


def person(subject):
    """Everything a sign-up must not change about a known person."""
    subject = Subject.objects.get(pk=subject.pk)
    return (subject.locale, subject.country, subject.pending_since, subject.email,
            sorted(Subscription.objects.filter(subject=subject)
                   .values_list("topic__slug", "status")),
            ConsentEvent.objects.filter(subject=subject).count())


@pytest.fixture
def known(alice, offers):
    """alice speaks French and has left the offers."""
    Subject.objects.filter(pk=alice.pk).update(locale="fr")
    services.subscription_set(subject=alice, topic=offers, status="unsubscribed",
                              source="preference_center", actor=alice)
    return alice


def test_a_sign_up_for_a_known_address_changes_nothing(client, known, mailoutbox):
    before = person(known)
    response = sign_up(client, "Alice@Example.com", **{"Accept-Language": "en"})
    assert response.status_code == 200
    assert person(known) == before  # locale still fr, offers still unsubscribed, no pending
    # she alone may act: one mail, with her own page, no confirm link
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert "/p/" in mailoutbox[0].body and "/s/confirm/" not in mailoutbox[0].body
    assert AuditEvent.objects.filter(action="signup.noted",
                                     target_id=str(known.public_id)).count() == 1


def test_many_clients_cannot_flood_a_known_address(client, known, mailoutbox):
    statuses = [sign_up(client, "alice@example.com", ip=f"203.0.113.{i}").status_code
                for i in range(6)]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}  # 3/h per address
    assert len(mailoutbox) == 1  # and once per HUSH_SIGNUP_NOTE_PERIOD at most


def test_the_note_comes_again_only_after_its_period(known, mailoutbox, settings):
    from django.core.cache import cache

    for _ in range(3):
        signup_services.signup_receive(email="alice@example.com", topics=["offers"],
                                       locale="en")
    assert len(mailoutbox) == 1
    cache.delete(f"hush:signup-note:{email_digest('alice@example.com')}")  # the period ends
    assert signup_services.signup_receive(email="alice@example.com", topics=["offers"],
                                          locale="en") == "noted"
    assert len(mailoutbox) == 2


def test_a_pending_sign_up_is_reminded_not_changed(client, newsletter, offers, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "eve@example.com", topics=["offers"])
    eve = Subject.objects.get(email_digest=email_digest("eve@example.com"))
    before = person(eve)
    sign_up(client, "eve@example.com", topics=["newsletter"], ip="203.0.113.9",
            **{"Accept-Language": "fr"})
    assert person(eve) == before
    assert len(mailoutbox) == 2 and "/s/confirm/" in mailoutbox[1].body


def test_known_and_unknown_addresses_get_the_same_answer_from_the_same_work(
        client, known, newsletter, monkeypatch):
    """The timing attack: whatever depends on the address runs after the answer, so the
    page does exactly the same queries, and says the same, for both."""
    from preferences.signup import views

    queued = []
    monkeypatch.setattr(views, "task_send", lambda name, **kw: queued.append(name))
    answers, queries = [], []
    for i, email in enumerate(["alice@example.com", "stranger@example.net"]):
        with CaptureQueriesContext(connection) as captured:
            response = sign_up(client, email, ip=f"192.0.2.{i}")
        answers.append((response.status_code, response.content))
        queries.append([q["sql"] for q in captured.captured_queries])
    assert answers[0] == answers[1]
    assert queries[0] == queries[1]
    assert not any("preferences_subject" in sql for sql in queries[0])
    assert queued == ["preferences.signup_receive"] * 2


def test_the_broker_never_carries_the_address(client, newsletter, monkeypatch):
    from preferences.signup import views

    sent = []
    monkeypatch.setattr(views, "task_send", lambda name, **kw: sent.append(kw))
    sign_up(client, "stranger@example.net")
    assert "stranger@example.net" not in str(sent)


# --- a suppressed address is never mailed -------------------------------------------------

@pytest.fixture
def erased(alice, mailoutbox, django_capture_on_commit_callbacks):
    request = drive(erase(alice), django_capture_on_commit_callbacks)
    assert request.status == "done"
    mailoutbox.clear()
    return "alice@example.com"


def test_an_erased_address_is_not_mailed_by_a_sign_up(client, erased, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_up(client, erased).status_code == 200  # the same answer as anyone's
    assert mailoutbox == []
    assert not Subject.objects.filter(email_digest=email_digest(erased)).exists()


def test_an_erased_address_is_not_mailed_a_link(client, erased, mailoutbox):
    assert client.post("/p/", {"email": erased}).status_code == 200
    assert mailoutbox == []


@pytest.mark.parametrize("reason", ["complaint", "bounce", "manual", "erased"])
def test_no_mail_reaches_a_suppressed_address_by_any_path(
        alice, reason, mailoutbox, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.HUSH_EXPORT_DIR = str(tmp_path)
    services.suppression_add(email_digest=alice.email_digest, reason=reason, source="api",
                             actor=audit.SYSTEM)
    assert not services.preference_link_send(email_digest=alice.email_digest)
    assert not signup_services.confirmation_send(subject_id=str(alice.public_id),
                                                 topics=["offers"])
    assert signup_services.signup_receive(email="alice@example.com", topics=["offers"],
                                          locale=None) == "suppressed"
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.export_request(subject=alice, source="api", actor=audit.SYSTEM)
    assert DataExport.objects.get(pk=export.pk).status == "failed"
    assert mailoutbox == []
    assert not list(tmp_path.iterdir())  # nothing built either


def test_unsubscribing_from_everything_still_leaves_the_way_back(
        client, alice, mailoutbox, django_capture_on_commit_callbacks):
    services.subject_unsubscribe_all(subject=alice, source="preference_center", actor=alice)
    assert client.post("/p/", {"email": "alice@example.com"}).status_code == 200
    assert len(mailoutbox) == 1 and "/p/" in mailoutbox[0].body  # her own page
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client, "alice@example.com", ip="203.0.113.50")
    assert len(mailoutbox) == 1  # but no sign-up mail
