"""Purposes: jurisdiction defaults, receipts (the wording version seen), the outbox
and the audit trail."""

import pytest

import audit
from audit.models import AuditEvent
from preferences.models import (
    ConsentEvent,
    Delivery,
    Destination,
    PurposeConsent,
    PurposeWording,
)
from preferences.privacy import jurisdictions
from preferences.privacy import selectors as privacy_selectors
from preferences.privacy import services as privacy_services


def states(subject) -> dict[str, bool]:
    return {row["purpose"].slug: row["granted"]
            for row in privacy_selectors.purpose_states(subject)}


def turn(subject, purpose, granted, source="preference_center"):
    return privacy_services.purpose_set(subject=subject, purpose=purpose, granted=granted,
                                source=source, actor=subject)


def test_it_defaults_to_opt_in_in_the_uk_and_eu(alice, bob, purposes):
    # alice is in GB, bob in FR: nothing based on consent, and no sharing, until they say yes.
    expected = {"analytics": False, "personalisation": True, "partner_sharing": False,
                "profiling": False}
    assert states(alice) == expected
    assert states(bob) == expected


def test_it_defaults_to_opt_out_in_the_us(carol, purposes):
    assert states(carol) == {"analytics": False, "personalisation": True,
                             "partner_sharing": True, "profiling": False}


def test_a_gpc_signal_and_an_unknown_country_take_the_strict_default(purposes):
    sharing = purposes["partner_sharing"]
    assert jurisdictions.purpose_default(sharing, "US") is True
    assert jurisdictions.purpose_default(sharing, "US", gpc=True) is False
    assert jurisdictions.purpose_default(sharing, "") is False
    assert jurisdictions.purpose_default(sharing, "ZZ") is False
    assert jurisdictions.regime("de") == jurisdictions.OPT_IN


def test_it_records_a_receipt_with_the_wording_version_seen(alice, purposes):
    analytics = purposes["analytics"]
    assert turn(alice, analytics, True)
    event = ConsentEvent.objects.get(subject=alice, kind="purpose")
    assert (event.purpose, event.purpose_version, event.old_status, event.new_status,
            event.source) == (analytics, 1, "refused", "granted", "preference_center")
    assert PurposeConsent.objects.get(subject=alice, purpose=analytics).version == 1


def test_changing_the_description_bumps_the_version(alice, purposes):
    analytics = purposes["analytics"]
    analytics.position = 5
    analytics.save()
    assert analytics.version == 1  # only the words a person reads make a version
    analytics.name = "Site analytics"  # the name is part of those words (issue 15)
    analytics.save()
    assert analytics.version == 2
    analytics.description = "We count page views and clicks, and keep them for a year."
    analytics.save()
    analytics.refresh_from_db()
    assert analytics.version == 3
    turn(alice, analytics, True)
    assert ConsentEvent.objects.get(subject=alice, kind="purpose").purpose_version == 3


def test_it_changes_nothing_when_the_state_is_already_so(alice, purposes):
    assert not turn(alice, purposes["analytics"], False)  # off by default
    assert turn(alice, purposes["analytics"], True)
    assert not turn(alice, purposes["analytics"], True)
    assert ConsentEvent.objects.filter(kind="purpose").count() == 1


def test_it_audits_every_change_without_personal_data(alice, purposes):
    turn(alice, purposes["analytics"], True)
    event = AuditEvent.objects.get(action="purpose.changed")
    assert event.target_id == str(alice.public_id)
    wording = PurposeWording.objects.get(purpose=purposes["analytics"], version=1)
    assert event.details == {"purpose": "analytics", "version": 1, "old": "refused",
                             "new": "granted", "source": "preference_center",
                             "wording_sha256": wording.sha256}


def test_it_propagates_a_change_through_the_outbox(alice, purposes, receiver):
    every = Destination.objects.create(name="crm", kind="webhook", url=receiver.url,
                                       secret="s")
    Destination.objects.create(name="mail-only", kind="webhook", url=receiver.url,
                               secret="s", event_types=["subscription.changed"])
    turn(alice, purposes["personalisation"], False)
    delivery = Delivery.objects.get(event_type="purpose.changed")
    assert delivery.destination == every
    assert delivery.payload["subject"]["id"] == str(alice.public_id)
    assert (delivery.payload["purpose"], delivery.payload["new"]) == ("personalisation",
                                                                       "refused")


def test_it_turns_everything_off_at_once(carol, purposes):
    changed = privacy_services.purposes_all_off(subject=carol, source="preference_center",
                                        actor=carol)
    assert sorted(changed) == ["partner_sharing", "personalisation"]
    assert not any(states(carol).values())


@pytest.mark.parametrize("country", ["US"])
def test_gpc_turns_off_sale_and_sharing_once(purposes, newsletter, country):
    from preferences.services import subject_upsert

    dave, _ = subject_upsert(actor=audit.SYSTEM, source="import", email="dave@example.net",
                             country=country)
    assert privacy_services.purposes_apply_gpc(subject=dave) == ["partner_sharing"]
    assert privacy_services.purposes_apply_gpc(subject=dave) == []
    events = ConsentEvent.objects.filter(subject=dave, kind="purpose")
    assert [(e.purpose.slug, e.source) for e in events] == [("partner_sharing", "gpc")]
    # The person may opt back in for this business; the next signal leaves that be.
    turn(dave, purposes["partner_sharing"], True)
    assert privacy_services.purposes_apply_gpc(subject=dave) == []
    assert states(dave)["partner_sharing"] is True


def test_seed_demo_adds_the_four_example_purposes_once(db):
    from io import StringIO

    from django.core.management import call_command

    from preferences.models import Purpose

    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())
    rows = {p.slug: (p.legal_basis, p.is_sale_or_sharing, p.version)
            for p in Purpose.objects.all()}
    assert rows == {"analytics": ("consent", False, 1),
                    "personalisation": ("legitimate_interest", False, 1),
                    "partner_sharing": ("legitimate_interest", True, 1),
                    "profiling": ("consent", False, 1)}
