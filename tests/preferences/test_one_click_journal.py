"""The opt-out journal (`preferences/one_click/`): one-click opt-outs kept on the web
host's disk while the database is down, applied in order and once when it is back.
(The outage itself, with gunicorn and a stopped PostgreSQL: tests/faults.)"""

import shutil
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from preferences.models import ConsentEvent, Delivery, Destination, JournaledOptOut, Subscription
from preferences.one_click import journal, services
from preferences.tokens import make_unsubscribe_token

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def status_of(subject, topic):
    return Subscription.objects.get(subject=subject, topic=topic).status


def journal_text() -> str:
    return "".join(p.read_text() for p in sorted(journal.folder().rglob("*.jsonl")))


def test_it_keeps_only_what_the_token_proves(alice, newsletter):
    entry = journal.append(subject_id=alice.public_id, topic_slug="newsletter")
    text = (journal.folder() / journal.LIVE).read_text()
    assert entry.key.hex in text and alice.public_id.hex in text and "newsletter" in text
    assert "alice" not in text and "@" not in text
    assert (journal.folder() / journal.LIVE).stat().st_mode & 0o077 == 0  # owner only


def test_it_skips_a_line_cut_short_by_a_crash(alice, newsletter, offers):
    journal.append(subject_id=alice.public_id, topic_slug="newsletter")
    with open(journal.folder() / journal.LIVE, "ab") as f:
        f.write(b'{"key": "0123')  # the crash: never fsynced, never answered 200
    assert services.journal_replay() == {"applied": 1}
    assert status_of(alice, newsletter) == "unsubscribed"
    assert status_of(alice, offers) == "subscribed"


def test_it_applies_audits_and_propagates_in_order(alice, bob, newsletter, offers):
    Destination.objects.create(name="crm", kind="webhook", url="https://crm.example.com/h")
    for subject, topic in ((alice, offers), (bob, newsletter), (alice, newsletter)):
        journal.append(subject_id=subject.public_id, topic_slug=topic.slug)
    assert services.journal_replay() == {"applied": 3}
    assert not journal.has_entries()
    assert status_of(alice, offers) == status_of(alice, newsletter) == "unsubscribed"
    assert status_of(bob, newsletter) == "unsubscribed"
    events = ConsentEvent.objects.filter(source="one_click").order_by("id")
    assert [(e.subject_id, e.topic.slug) for e in events] == [
        (alice.pk, "offers"), (bob.pk, "newsletter"), (alice.pk, "newsletter")]
    outbox = Delivery.objects.order_by("id")
    assert [(d.subject_key, d.payload["topic"]) for d in outbox] == [
        (str(alice.public_id), "offers"), (str(bob.public_id), "newsletter"),
        (str(alice.public_id), "newsletter")]
    assert AuditEvent.objects.filter(action="consent.changed",
                                     details__source="one_click").count() == 3
    replayed = AuditEvent.objects.get(action="one_click.journal_replayed")
    assert replayed.details == {"applied": 3}


def test_replaying_a_file_twice_applies_it_once(alice, newsletter, tmp_path):
    journal.append(subject_id=alice.public_id, topic_slug="newsletter")
    journal.rotate(journal.folder())
    [path] = journal.pending_files(journal.folder())
    shutil.copy(path, tmp_path / "copy")
    services.journal_replay()
    # A crash between applying and deleting: the same file comes back.
    path.parent.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "copy", path)
    assert services.journal_replay() == {"already applied": 1}
    assert ConsentEvent.objects.filter(subject=alice, source="one_click").count() == 1
    assert JournaledOptOut.objects.get().outcome == "applied"


def test_a_later_choice_stands(alice, newsletter):
    journal.append(subject_id=alice.public_id, topic_slug="newsletter")
    # After the outage, before the replay, alice subscribed again in the center.
    Subscription.objects.filter(subject=alice, topic=newsletter).update(
        updated_at=timezone.now() + timedelta(seconds=1))
    assert services.journal_replay() == {"superseded": 1}
    assert status_of(alice, newsletter) == "subscribed"


def test_an_unknown_topic_is_recorded_not_retried(alice):
    journal.append(subject_id=alice.public_id, topic_slug="gone")
    assert services.journal_replay() == {"unknown": 1}
    assert not journal.has_entries()


def test_a_post_joins_the_journal_while_it_holds_entries(client, alice, bob, newsletter):
    """Order per subject: a POST arriving while older opt-outs wait goes behind them."""
    journal.append(subject_id=bob.public_id, topic_slug="newsletter")
    url = reverse("preferences:one_click",
                  args=[make_unsubscribe_token(subject=alice, topic=newsletter)])
    response = client.post(url, ONE_CLICK)
    assert response.status_code == 200
    assert "You are unsubscribed from" in response.content.decode()
    assert journal_text().count('"topic": "newsletter"') == 2
    services.journal_replay()
    assert status_of(alice, newsletter) == status_of(bob, newsletter) == "unsubscribed"


def test_the_command_replays_and_says_what_it_did(alice, newsletter, capsys):
    journal.append(subject_id=alice.public_id, topic_slug="newsletter")
    call_command("one_click_replay")
    assert "1 applied" in capsys.readouterr().out
    call_command("one_click_replay")
    assert "nothing waiting" in capsys.readouterr().out


@pytest.mark.parametrize("empty", [True, False])
def test_has_entries(alice, empty):
    if not empty:
        journal.append(subject_id=alice.public_id, topic_slug="newsletter")
    assert journal.has_entries() is (not empty)
