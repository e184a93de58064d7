"""Signing in: a password, then a TOTP or backup code; enrolment for staff without an
authenticator; throttling of both steps; every failure in the audit trail."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.audit.console.conftest import PASSWORD, make_staff, totp_now


@pytest.fixture
def alice_staff(db):
    return make_staff("alice", "privacy officer")


@pytest.fixture
def newcomer(db):
    return make_staff("charlie", "auditor", device=False)


def sign_in_password(client, username, password=PASSWORD):
    return client.post("/console/login/", {"username": username, "password": password})


def test_it_asks_for_a_code_after_the_password(alice_staff):
    client = Client()
    response = sign_in_password(client, "alice")
    assert response["Location"] == "/console/verify/"
    assert client.get("/console/").status_code == 302  # the password alone opens nothing
    device = TOTPDevice.objects.get(user=alice_staff)
    response = client.post("/console/verify/", {"token": totp_now(device)})
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    event = AuditEvent.objects.get(action="staff.login")
    assert (event.actor_type, event.actor_id) == ("user", str(alice_staff.pk))


def test_it_keeps_where_the_user_was_going(alice_staff):
    client = Client()
    response = client.post("/console/login/?next=/console/audit/",
                           {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/console/verify/?next=/console/audit/"
    device = TOTPDevice.objects.get(user=alice_staff)
    response = client.post(response["Location"], {"token": totp_now(device),
                                                  "next": "/console/audit/"})
    assert response["Location"] == "/console/audit/"


def test_it_never_redirects_off_site(alice_staff):
    client = Client()
    sign_in_password(client, "alice")
    device = TOTPDevice.objects.get(user=alice_staff)
    response = client.post("/console/verify/", {"token": totp_now(device),
                                                "next": "https://evil.example/"})
    assert response["Location"] == "/console/"


def test_a_wrong_code_is_refused_throttled_and_recorded(alice_staff):
    client = Client()
    sign_in_password(client, "alice")
    device = TOTPDevice.objects.get(user=alice_staff)
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    response = client.post("/console/verify/", {"token": wrong})
    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()
    # The device now makes the next attempt wait, even with the right code.
    response = client.post("/console/verify/", {"token": totp_now(device)})
    assert "Wait a little" in response.content.decode()
    assert client.get("/console/").status_code == 302
    failures = AuditEvent.objects.filter(action="staff.otp_failed")
    assert failures.count() == 2
    assert {e.target_id for e in failures} == {str(alice_staff.pk)}
    assert [e.details for e in failures.order_by("id")] == [{"throttled": False},
                                                            {"throttled": True}]


def test_a_backup_code_works_once(alice_staff):
    from audit.otp import backup_codes_renew

    code = backup_codes_renew(user=alice_staff)[0]
    client = Client()
    sign_in_password(client, "alice")
    assert client.post("/console/verify/", {"token": code})["Location"] == "/console/"
    assert AuditEvent.objects.get(action="staff.login").details == {"device": "staticdevice"}
    other = Client()
    sign_in_password(other, "alice")
    assert other.post("/console/verify/", {"token": code}).status_code == 200


def test_a_wrong_password_is_recorded_without_the_username(alice_staff):
    response = sign_in_password(Client(), "alice", "not the password at all")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="staff.login_failed")
    assert event.target_id == str(alice_staff.pk)
    assert "alice" not in str(event.details)
    sign_in_password(Client(), "nobody@example.com", "whatever it is")
    unknown = AuditEvent.objects.filter(action="staff.login_failed").last()
    assert (unknown.target_id, unknown.details["known_user"]) == ("", False)


def test_repeated_wrong_passwords_lock_the_account_out(alice_staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        sign_in_password(client, "alice", "wrong password again")
    response = sign_in_password(client, "alice")  # even the right one, for a while
    assert response.status_code in (403, 429)
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.get("/console/verify/").status_code == 302  # not signed in
    assert AuditEvent.objects.filter(action="staff.locked_out",
                                     target_id=str(alice_staff.pk)).exists()


def test_staff_without_a_device_enrol_then_see_backup_codes_once(newcomer):
    client = Client()
    response = sign_in_password(client, "charlie")
    assert response["Location"] == "/console/enrol/"
    page = client.get("/console/enrol/").content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0] \
        .replace("http://www.w3.org", "")  # drawn here, nothing fetched
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    import base64

    assert base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8)) \
        == device.bin_key
    response = client.post("/console/enrol/", {"token": totp_now(device)})
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", response.content.decode())
    assert len(codes) == 10
    assert set(StaticDevice.objects.get(user=newcomer).token_set
               .values_list("token", flat=True)) == set(codes)
    assert client.get("/console/").status_code == 200  # signed in, verified
    assert client.get("/console/enrol/")["Location"] == "/console/verify/"  # no second look
    assert AuditEvent.objects.filter(action="staff.otp_enrolled",
                                     target_id=str(newcomer.pk)).count() == 1


def test_a_wrong_code_does_not_confirm_the_authenticator(newcomer):
    client = Client()
    sign_in_password(client, "charlie")
    client.get("/console/enrol/")
    device = TOTPDevice.objects.get(user=newcomer)
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    response = client.post("/console/enrol/", {"token": wrong})
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/console/").status_code == 302
    assert AuditEvent.objects.get(action="staff.otp_failed").details == {
        "step": "enrol", "throttled": False}


def test_a_user_with_a_device_cannot_enrol_another(alice_staff):
    client = Client()
    sign_in_password(client, "alice")
    assert client.get("/console/enrol/")["Location"] == "/console/verify/"
    assert TOTPDevice.objects.filter(user=alice_staff).count() == 1


def test_sign_out_ends_the_session(officer):
    assert officer.post("/console/logout/")["Location"] == "/console/login/"
    assert officer.get("/console/").status_code == 302
    assert AuditEvent.objects.filter(action="staff.logout").exists()


def test_the_admin_sends_unverified_staff_to_the_console_sign_in(alice_staff):
    client = Client()
    sign_in_password(client, "alice")
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/console/verify/")
