"""pii_audit: PII where the catalog does not expect it, and catalogued policies not
applied, reported by name, kind and count, never by value."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from anonymizer import catalog
from anonymizer.catalog import Category, PiiField
from anonymizer.models import ErasureRequest, PiiAuditRun
from anonymizer.pii_audit import pii_audit_report, pii_audit_run
from audit.models import AuditEvent
from preferences.models import Delivery, Destination, Topic


@pytest.fixture
def filled_shop(shop, shop_sql):
    shop_sql("INSERT INTO customers (email, full_name, notes, plan) VALUES "
             "('alice@example.com', 'Alice Liddell', '{\"call\": \"+44 20 7946 0001\"}', 'free'),"
             "('bob@example.org', 'Bob Stone', NULL, 'gold'),"
             "(NULL, 'Carol', '{\"order\": \"A-1001\"}', 'free')")
    return shop


def _uncovered(run, database, table):
    return {f["column"]: f["kinds"] for f in run.findings
            if f["problem"] == "uncovered" and f["database"] == database and f["table"] == table}


def test_it_finds_pii_in_columns_the_catalog_does_not_cover(filled_shop):
    run = pii_audit_run(database="shop", sample=50)
    found = _uncovered(run, "shop", "customers")
    assert found["email"] == {"EMAIL": 2}
    assert "PHONE" in found["notes"]
    assert "plan" not in found
    text = json.dumps(run.findings)
    assert "alice@example.com" not in text and "7946" not in text
    assert run.columns_sampled == 6  # email, full_name, phone, last_ip, notes, plan


def test_catalogued_columns_are_not_findings(filled_shop):
    catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT), PiiField("notes", Category.FREE_TEXT),
                PiiField("full_name", Category.IDENTIFIER)])
    run = pii_audit_run(database="shop")
    assert _uncovered(run, "shop", "customers") == {}
    assert run.findings == []


def test_it_samples_hushs_own_database(postgres, alice):
    # Topics were reviewed as holding no personal data: an address there is a finding.
    Topic.objects.filter(slug="offers").update(description="Questions? Ask carol@example.net")
    run = pii_audit_run(database="default")
    found = _uncovered(run, "default", "preferences_topic")
    assert found == {"description": {"EMAIL": 1}}
    # Alice's encrypted email is ciphertext on disk and catalogued anyway.
    assert _uncovered(run, "default", "preferences_subject") == {}


def test_it_reports_retention_not_applied(postgres, alice):
    crm = Destination.objects.create(name="crm", kind="webhook", url="https://crm.invalid/")
    # Two old finished deliveries are overdue; an old pending one and a new one are not.
    for days, status in ((45, "delivered"), (50, "failed"), (50, "pending"), (1, "delivered")):
        Delivery.objects.create(destination=crm, subject=alice, subject_key=str(alice.public_id),
                                event_type="subscription.changed", payload={"x": "alice-1"},
                                status=status, created_at=timezone.now() - timedelta(days=days))
    run = pii_audit_run(database="default")
    (finding,) = [f for f in run.findings if f["problem"] == "retention"]
    assert finding["entry"] == "preferences.delivery" and finding["rows"] == 2
    assert finding["retention_days"] == 30

    from anonymizer.retention import retention_run

    retention_run(entry_key="preferences.delivery")
    run = pii_audit_run(database="default")
    assert not [f for f in run.findings if f["problem"] == "retention"]
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["delivered", "pending"]


def test_it_reports_an_erasure_that_left_data_behind(postgres, alice, bob):
    ErasureRequest.objects.create(subject_public_id=alice.public_id, source="api",
                                  status=ErasureRequest.Status.DONE)
    run = pii_audit_run(database="default")
    erasure = {f["entry"]: f for f in run.findings if f["problem"] == "erasure"}
    assert erasure["preferences.subject"]["rows"] == 1
    assert set(erasure["preferences.subject"]["fields"]) >= {"email", "external_id"}
    assert erasure["preferences.subscription"]["rows"] == 2
    # Once erased as the catalog says, nothing is left to report.
    from preferences.models import ConsentEvent, Subject

    alice.subscriptions.all().delete()
    with ConsentEvent.deletion_allowed():  # as erasure deletes the history
        alice.consent_events.all().delete()
    Subject.objects.filter(pk=alice.pk).update(email=None, email_digest=None, external_id=None,
                                               locale="", country="")
    run = pii_audit_run(database="default")
    assert not [f for f in run.findings if f["problem"] == "erasure"]


def test_an_unreachable_database_is_a_finding_not_a_crash(settings, postgres):
    settings.HUSH_EXTERNAL_DATABASES = {"gone": "postgresql://nobody@127.0.0.1:1/gone"}
    run = pii_audit_run(database="gone")
    assert run.findings == [{"problem": "unreachable", "database": "gone",
                             "error": "OperationalError"}]


def test_the_command_stores_prints_audits_and_fails_on_findings(filled_shop, capsys):
    with pytest.raises(CommandError) as raised:
        call_command("pii_audit", "--database", "shop", "--sample", "10")
    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    assert "PII found in columns the catalog does not cover" in out
    assert "shop  customers.email: EMAIL 2/2" in out
    assert "alice" not in out
    run = PiiAuditRun.objects.get()
    assert run.finished_at and run.sample_size == 10
    event = AuditEvent.objects.get(action="pii_audit.run")
    assert event.target_id == str(run.pk) and event.details["findings"]["uncovered"] >= 2


def test_the_command_passes_when_all_is_catalogued(filled_shop, capsys):
    catalog.register_external(
        database="shop", table="customers", subject="email", subject_by="email",
        fields=[PiiField("email", Category.CONTACT), PiiField("notes", Category.FREE_TEXT),
                PiiField("full_name", Category.IDENTIFIER)])
    call_command("pii_audit", "--database", "shop", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [] and data["databases"] == ["shop"]
    with pytest.raises(CommandError, match="no database 'nope'"):
        call_command("pii_audit", "--database", "nope")


def test_the_report_reads_well(filled_shop):
    text = pii_audit_report(pii_audit_run(database="shop"))
    assert text.startswith("PII audit #")
    assert text.rstrip().endswith("findings")


def test_the_catalog_prints_for_staff(capsys):
    call_command("pii_catalog")
    out = capsys.readouterr().out
    assert "preferences.subject  (preferences_subject)" in out
    assert "email            contact      [EMAIL] erasure: null" in out
    assert "retention: 30 days after created_at" in out
    assert "preferences.topic: the company's own topic names" in out
    call_command("pii_catalog", "--json")
    data = json.loads(capsys.readouterr().out)
    subject = next(e for e in data["entries"] if e["key"] == "preferences.subject")
    assert subject["subject_by"] == "public_id"
    assert {"name": "email", "category": "contact", "erase": "null", "retain": None,
            "kind": "EMAIL", "level": None, "note": ""} in subject["fields"]
