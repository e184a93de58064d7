"""Support finds one subject by exact email: masked, with history; each lookup recorded
without the address; never a list."""

from django.core import mail

from audit.console.views import mask_email
from audit.models import AuditEvent


def test_it_finds_a_subject_by_exact_email_and_masks_it(staff_client, alice, bob):
    client = staff_client("support")
    response = client.post("/console/subjects/", {"email": "  ALICE@example.com "})
    assert response["Location"] == f"/console/subjects/{alice.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "a•••@example.com" in page
    assert "alice@example.com" not in page and "bob" not in page
    assert "newsletter" in page.lower()
    looked = AuditEvent.objects.get(action="subject.looked_up")
    assert looked.target_id == str(alice.public_id) and looked.details == {"found": True}
    assert "example.com" not in str(AuditEvent.objects.values_list("details", flat=True))


def test_an_unknown_address_says_so_and_is_recorded_without_it(staff_client, alice):
    client = staff_client("support")
    response = client.post("/console/subjects/", {"email": "nobody@example.net"})
    assert "No subject has this address." in response.content.decode()
    event = AuditEvent.objects.get(action="subject.looked_up")
    assert (event.target_id, event.details) == ("", {"found": False})


def test_there_is_no_list_of_subjects(staff_client, alice, bob):
    page = staff_client("support").get("/console/subjects/").content.decode()
    assert str(alice.public_id) not in page and str(bob.public_id) not in page


def test_support_sends_a_fresh_preference_link(staff_client, alice,
                                               django_capture_on_commit_callbacks):
    client = staff_client("support")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/console/subjects/{alice.public_id}/link/")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert AuditEvent.objects.filter(action="preference_link.requested",
                                     target_id=str(alice.public_id)).exists()


def test_masking_keeps_the_first_letter_and_the_domain():
    assert mask_email("alice@example.com") == "a•••@example.com"
    assert mask_email(None) == "(no address kept)"
