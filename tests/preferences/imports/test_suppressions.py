"""`import suppressions`: by address or by the digest an email provider exports."""

import hashlib

import pytest

from common.crypto import email_digest
from preferences.imports.services import digest_suppressions_match
from preferences.models import ConsentEvent, Delivery, DigestSuppression, Suppression

pytestmark = pytest.mark.django_db


def test_it_suppresses_addresses_with_their_reasons(run_import, write_file, alice):
    path = write_file("email,reason\nALICE@example.com,complaint\nnew@example.org,bounce\n"
                      "x@example.org,snoozed\nnot an address,manual\n")

    job = run_import("suppressions", path)

    assert (job.created, job.bad) == (2, 2)
    reasons = dict(Suppression.objects.values_list("email_digest", "reason"))
    assert reasons == {email_digest("alice@example.com"): "complaint",
                       email_digest("new@example.org"): "bounce"}
    event = ConsentEvent.objects.get(subject=alice, kind="suppressed")
    assert (event.old_status, event.new_status, event.source) == ("", "complaint", "import")
    assert [(p.line, p.reason) for p in job.problems.order_by("line")] == [
        (4, "invalid_value"), (5, "invalid_address")]


def test_an_imported_unsubscribe_is_the_persons_own_opt_out_and_hardens_only(
        run_import, write_file, alice, bob):
    run_import("suppressions", write_file("email,reason\nalice@example.com,unsubscribe\n"
                                          "bob@example.org,bounce\n"))
    again = run_import("suppressions", write_file("email,reason\nalice@example.com,bounce\n"
                                                  "bob@example.org,unsubscribe\n", "b.csv"))

    alice.refresh_from_db()
    assert alice.unsubscribed_all
    assert (again.updated, again.unchanged) == (1, 1)
    reasons = dict(Suppression.objects.values_list("email_digest", "reason"))
    assert reasons[email_digest("alice@example.com")] == "bounce"  # hardened
    assert reasons[email_digest("bob@example.org")] == "bounce"  # never softened


def test_it_tells_the_destinations_of_a_known_subject(run_import, write_file, alice, webhook):
    run_import("suppressions", write_file("email\nalice@example.com\nstranger@example.org\n"))

    delivery = Delivery.objects.get(event_type="subject.suppressed")
    assert delivery.payload["subject"]["id"] == str(alice.public_id)
    assert delivery.payload["source"] == "import"


def test_a_rerun_changes_nothing(run_import, write_file, alice):
    path = write_file("email,reason\nalice@example.com,bounce\n")
    run_import("suppressions", path)
    events = ConsentEvent.objects.count()

    again = run_import("suppressions", path)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ConsentEvent.objects.count() == events


def test_provider_digests_are_kept_keyed_and_matched_to_subjects(
        run_import, write_file, alice, bob, newsletter):
    sha = hashlib.sha256(b"alice@example.com").hexdigest()
    md5 = hashlib.md5(b"bob@example.org").hexdigest()  # noqa: S324 (what ESPs export)
    later = hashlib.sha256(b"carol@example.net").hexdigest()
    path = write_file(f"sha256,md5,reason\n{sha},,bounce\n,{md5},complaint\n{later},,bounce\n"
                      "abc,,bounce\n")

    job = run_import("suppressions", path)

    assert (job.created, job.bad) == (3, 1)
    assert job.problems.get().reason == "invalid_digest"
    stored = set(DigestSuppression.objects.values_list("keyed_digest", flat=True))
    assert sha not in stored and md5 not in stored  # never the provider's plain hash
    reasons = dict(Suppression.objects.values_list("email_digest", "reason"))
    assert reasons == {email_digest("alice@example.com"): "bounce",
                       email_digest("bob@example.org"): "complaint"}

    carol = run_import("subjects", write_file("email,newsletter\ncarol@example.net,subscribed\n",
                                              "s.csv"))
    assert carol.created == 1
    assert Suppression.objects.filter(email_digest=email_digest("carol@example.net"),
                                      reason="bounce").exists()
    assert digest_suppressions_match(actor=None) == 0  # nothing left to match


def test_a_subject_created_later_through_the_api_is_suppressed_by_its_hash(
        run_import, write_file, api, newsletter):
    md5 = hashlib.md5(b"dora@example.com").hexdigest()  # noqa: S324 (what ESPs export)
    run_import("suppressions", write_file(f"md5,reason\n{md5},complaint\n"))

    response = api("subjects:write").post(
        "/api/v1/subjects", {"email": "Dora@Example.com", "subscriptions": {"newsletter": True}},
        format="json")

    assert response.status_code in (200, 201), response.content
    assert Suppression.objects.get(email_digest=email_digest("dora@example.com")).reason == \
        "complaint"
