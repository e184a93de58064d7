"""The audit trail page: filters, keyset pages, each event's hash, verify, CSV export
(itself recorded)."""

import csv
import io
import re
from datetime import timedelta

from django.utils import timezone

import audit
from audit.models import AuditEvent
from audit.services import chain_seal


def make_events(n, action="thing.happened", **kw):
    return [audit.record(actor=audit.SYSTEM, action=action, **kw) for _ in range(n)]


def shown_ids(response) -> list[str]:
    return re.findall(r"<tr><td>(\d+)</td>", response.content.decode())


def test_it_pages_newest_first_without_gaps_or_repeats(officer):
    make_events(120)
    chain_seal()
    seen, url = [], "/console/audit/?action=thing.happened"
    while url:
        response = officer.get(url)
        seen += [int(s) for s in shown_ids(response)]
        older = re.search(r'href="\?([^"]+)" rel="next"', response.content.decode())
        url = f"/console/audit/?{older.group(1).replace('&amp;', '&')}" if older else None
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == 120 == len(set(seen))


def test_events_at_the_same_instant_are_not_lost_between_pages(officer, monkeypatch):
    from audit import selectors

    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    make_events(7)
    monkeypatch.undo()
    only = {"action": "thing.happened"}
    first, cursor = selectors.events_page(only, size=3)
    second, cursor = selectors.events_page(only, before=cursor, size=3)
    third, cursor = selectors.events_page(only, before=cursor, size=3)
    ids = [e.pk for e in first + second + third]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7 and cursor is None


def test_it_filters_by_action_actor_target_and_time(officer, alice):
    old = make_events(2, action="old.thing")
    make_events(3, action="delivery.retried")
    audit.record(actor=("api_key", "abc123"), action="subject.viewed", target=alice)
    response = officer.get("/console/audit/?action=delivery.retried")
    assert response.content.decode().count("<td>delivery.retried</td>") == 3
    assert "old.thing" not in response.content.decode().split("<tbody>")[1]
    response = officer.get("/console/audit/?actor=api_key:abc123")
    assert response.content.decode().count("<td>subject.viewed</td>") == 1
    response = officer.get(f"/console/audit/?target=preferences.subject:{alice.public_id}")
    body = response.content.decode().split("<tbody>")[1]
    assert "subject.viewed" in body and "delivery.retried" not in body
    since = (old[-1].occurred_at + timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    response = officer.get("/console/audit/", {"since": since, "action": "old.thing"})
    assert "No events match these filters" in response.content.decode()


def test_bad_filters_are_explained_and_nothing_is_shown(officer):
    make_events(1)
    response = officer.get("/console/audit/?action=DROP TABLE&actor=x y")
    assert response.status_code == 200
    assert "An action is lower-case letters" in response.content.decode()
    assert "thing.happened" not in response.content.decode()


def test_each_event_shows_its_hash(officer):
    event = make_events(1)[0]
    chain_seal()
    event = AuditEvent.objects.get(pk=event.pk)
    assert f'title="{event.hash}"' in officer.get("/console/audit/").content.decode()


def test_verify_chain_shows_the_result_and_is_recorded(officer):
    make_events(5)
    response = officer.post("/console/audit/verify/", follow=True)
    assert "Chain intact" in response.content.decode()
    event = AuditEvent.objects.get(action="audit.chain_verified")
    assert event.details["ok"] is True and event.details["checked"] >= 5
    overview = officer.get("/console/").content.decode()
    assert "intact" in overview


def test_verify_chain_names_a_tampered_event(officer, postgres):
    make_events(3)
    chain_seal()
    target = AuditEvent.objects.order_by("seq")[1]
    with postgres.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
                       [target.pk])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    response = officer.post("/console/audit/verify/", follow=True)
    assert f"Chain broken</span> at event {target.seq}" in response.content.decode()


def test_export_streams_the_filtered_events_as_csv_and_is_recorded(staff_client):
    client = staff_client("auditor")
    make_events(3, action="delivery.retried")
    make_events(2, action="other.thing")
    chain_seal()
    response = client.get("/console/audit/export.csv?action=delivery.retried")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["action"] for r in rows] == ["delivery.retried"] * 3
    assert all(len(r["hash"]) == 64 for r in rows)
    event = AuditEvent.objects.get(action="audit.exported")
    assert event.details == {"filters": {"action": "delivery.retried"}}
    assert event.actor_type == "user"


def test_support_and_analysts_cannot_export(staff_client):
    for role in ("support", "analyst"):
        assert staff_client(role).get("/console/audit/export.csv").status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
