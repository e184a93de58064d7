"""`import subjects`: header-named columns, --map, bad rows, reruns, resuming."""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from common.crypto import email_digest
from preferences.models import (
    ConsentEvent,
    Import,
    Subject,
    Subscription,
)

pytestmark = pytest.mark.django_db

FILE = (
    "email,locale,country,newsletter,offers\n"
    "Ada@Example.com,en,gb,subscribed,unsubscribed\n"
    "not-an-address,,,subscribed,\n"
    "grace@example.com,de,DE,unsubscribed,\n"
    "linus@example.com,,,subscribed,maybe\n"
    "ken@example.com,,,,\n"
    "dennis@example.com,,,subscribed,\n"
)


def _state(email):
    subject = Subject.objects.get(email_digest=email_digest(email))
    return {s.topic.slug: s.status for s in subject.subscriptions.all()}


def test_it_imports_header_named_columns_and_reports_bad_rows_by_line(
        run_import, write_file, newsletter, offers):
    job = run_import("subjects", write_file(FILE))

    assert job.status == Import.Status.DONE
    assert (job.created, job.bad) == (4, 2)
    assert _state("ada@example.com") == {"newsletter": "subscribed", "offers": "unsubscribed"}
    ada = Subject.objects.get(email_digest=email_digest("ada@example.com"))
    assert (ada.email, ada.locale, ada.country) == ("ada@example.com", "en", "GB")
    assert _state("grace@example.com") == {"newsletter": "unsubscribed"}
    assert _state("ken@example.com") == {}  # no status given: none set
    assert [(p.line, p.reason) for p in job.problems.order_by("line")] == [
        (3, "invalid_address"), (5, "invalid_status")]
    events = ConsentEvent.objects.filter(subject=ada)
    assert {(e.topic.slug, e.old_status, e.new_status, e.source) for e in events} == {
        ("newsletter", "none", "subscribed", "import"),
        ("offers", "none", "unsubscribed", "import")}


def test_it_changes_nothing_when_the_same_file_is_imported_again(
        run_import, write_file, newsletter, offers):
    path = write_file(FILE)
    run_import("subjects", path)
    events = ConsentEvent.objects.count()

    again = run_import("subjects", path)

    assert again.pk != Import.objects.order_by("created_at").first().pk
    assert (again.created, again.updated, again.unchanged, again.bad) == (0, 0, 4, 2)
    assert ConsentEvent.objects.count() == events


def test_it_keeps_the_original_consent_time_and_never_undoes_a_later_opt_out(
        run_import, write_file, newsletter, alice):
    path = write_file("email,newsletter,consent_at\n"
                      "alice@example.com,subscribed,2019-03-21 14:05:12\n"
                      "new@example.com,subscribed,2019-03-21 14:05:12\n")
    Subscription.objects.filter(subject=alice, topic=newsletter).update(status="unsubscribed")

    job = run_import("subjects", path)

    assert (job.created, job.unchanged) == (1, 1)
    assert _state("alice@example.com")["newsletter"] == "unsubscribed"  # Hush's is newer
    event = ConsentEvent.objects.get(subject__email_digest=email_digest("new@example.com"))
    assert event.occurred_at == datetime(2019, 3, 21, 14, 5, 12, tzinfo=UTC)


def test_it_reads_an_unknown_topic_and_a_conflicting_row_as_bad_rows(
        run_import, write_file, newsletter):
    path = write_file("email,newsletter,weekly-digest\n"
                      "a@example.com,subscribed,\n"
                      "b@example.com,,subscribed\n"
                      "a@example.com,unsubscribed,\n"
                      "A@EXAMPLE.COM,subscribed,\n")

    job = run_import("subjects", path)

    assert [(p.line, p.reason) for p in job.problems.order_by("line")] == [
        (3, "unknown_topic"), (4, "conflicting_status")]
    assert (job.created, job.unchanged) == (1, 1)


def test_it_maps_columns_given_by_name(run_import, write_file, newsletter):
    path = write_file("Mail;Sprache;News\nada@example.com;de;subscribed\n")

    job = run_import("subjects", path, mapping={"email": "Mail", "locale": "Sprache",
                                                "newsletter": "News"})

    assert job.created == 1
    assert _state("ada@example.com") == {"newsletter": "subscribed"}
    assert Subject.objects.get().locale == "de"


def test_it_reads_json_lines(run_import, write_file, newsletter):
    path = write_file('{"email": "ada@example.com", "newsletter": "subscribed"}\n'
                      '{"external_id": "crm-7", "newsletter": "unsubscribed"}\n'
                      "not json\n", name="people.jsonl")

    job = run_import("subjects", path)

    assert (job.created, job.bad) == (2, 1)
    assert Subject.objects.get(external_id="crm-7").subscriptions.get().status == "unsubscribed"
    assert job.problems.get().line == 3


def test_it_continues_after_the_last_committed_batch(run_import, write_file, newsletter):
    rows = "".join(f"p{i}@example.com,subscribed\n" for i in range(7))
    path = write_file("email,newsletter\n" + rows)
    calls = []

    def stop_after_two_batches(job):
        calls.append(job.lines_done)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies between batches

    with pytest.raises(KeyboardInterrupt):
        run_import("subjects", path, batch_size=2, progress=stop_after_two_batches)
    job = Import.objects.get()
    assert (job.lines_done, job.created, Subject.objects.count()) == (5, 4, 4)

    resumed = run_import("subjects", path, batch_size=2)

    assert resumed.pk == job.pk
    assert (resumed.status, resumed.created, resumed.lines_done) == ("done", 7, 8)
    assert Subject.objects.count() == 7
    assert ConsentEvent.objects.count() == 7


def test_the_command_prints_progress_and_bad_lines_without_values(
        write_file, postgres, newsletter, capsys):
    path = write_file("email,newsletter\nsecret-person@@example.com,subscribed\n"
                      "ok@example.com,subscribed\n")

    call_command("import", "subjects", path)

    out, err = capsys.readouterr()
    assert "1 created" in out and "2: invalid address" in out
    assert "line 3" in err  # the progress line
    assert "secret-person" not in out + err


def test_the_command_refuses_a_file_without_an_address_column(write_file, postgres):
    with pytest.raises(CommandError, match="no email or external_id column"):
        call_command("import", "subjects", write_file("name,newsletter\nAda,subscribed\n"))
    assert not Import.objects.exists()
