"""The consent export in the console (auditor, privacy officer; emails need their own
permission) and on the command line."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from preferences.models import Purpose, PurposeConsent
from preferences.services import subject_unsubscribe_all, subscription_set

pytestmark = pytest.mark.django_db


def _download(client, query=""):
    response = client.get(f"/console/consent/export{query}")
    return response, b"".join(getattr(response, "streaming_content", [b""])).decode()


def test_an_auditor_downloads_everyones_state_by_opaque_id(staff_client, alice, bob, newsletter):
    subscription_set(subject=alice, topic=newsletter, status="unsubscribed", source="one_click",
                     actor=alice)
    response, body = _download(staff_client("auditor"))

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == ["subject", "kind", "name", "state", "changed_at", "source"]
    mine = {(r["name"], r["state"], r["source"]) for r in rows
            if r["subject"] == str(alice.public_id)}
    assert mine == {("newsletter", "unsubscribed", "one_click"),
                    ("offers", "subscribed", "import")}
    assert len(rows) == 4
    assert "alice@example.com" not in body and "bob@example.org" not in body
    event = AuditEvent.objects.get(action="consent.exported")
    assert event.details == {"format": "csv", "topic": "", "with_email": False, "by": "console"}


def test_emails_need_their_own_permission_and_are_audited(staff_client, alice):
    response, _ = _download(staff_client("auditor"), "?with_email=on")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="consent.exported").exists()

    response, body = _download(staff_client("privacy officer"), "?with_email=on&format=jsonl")

    assert response.status_code == 200
    rows = [json.loads(line) for line in body.splitlines()]
    assert {r["email"] for r in rows} == {"alice@example.com"}
    assert AuditEvent.objects.get(action="consent.exported").details["with_email"] is True


def test_it_lists_purposes_and_everything_opt_outs(staff_client, alice, bob, newsletter):
    purpose = Purpose.objects.create(slug="analytics", name="Analytics", description="Counts.")
    PurposeConsent.objects.create(subject=bob, purpose=purpose, granted=False, version=1,
                                  source="preference_center")
    subject_unsubscribe_all(subject=alice, source="mailto", actor=alice)

    _, body = _download(staff_client("auditor"))

    rows = list(csv.DictReader(io.StringIO(body)))
    assert {(r["kind"], r["name"], r["state"], r["source"]) for r in rows
            if r["kind"] != "topic"} == {("purpose", "analytics", "refused", "preference_center"),
                                         ("all", "everything", "unsubscribed", "mailto")}


def test_the_command_exports_one_topic_as_json_lines(alice, bob, newsletter, offers, capsys):
    call_command("export", "consent", "--topic", "offers", "--format", "jsonl")

    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(r["name"], r["state"]) for r in rows} == {("offers", "subscribed")}
    assert len(rows) == 2 and "email" not in rows[0]
    assert AuditEvent.objects.filter(action="consent.exported").count() == 1


def test_the_command_adds_emails_when_asked(alice, capsys):
    call_command("export", "consent", "--with-email")

    body = capsys.readouterr().out
    assert body.splitlines()[0].endswith(",email") and "alice@example.com" in body
    assert AuditEvent.objects.get(action="consent.exported").details["with_email"] is True
