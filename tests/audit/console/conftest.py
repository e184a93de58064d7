"""Staff personas for the console: one per role, each with a confirmed authenticator.

`staff_client(role)` is a test client signed in with a verified second factor (the
session django-otp's middleware trusts), `unverified_client` one that has only typed
a password. Roles are the groups migration audit/0004_roles made.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Personas' passwords need no real key stretching (the login tests use them)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_staff(username, role=None, *, device=True, superuser=False):
    User = get_user_model()
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True,
                                    is_superuser=superuser)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if device:
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def verified_client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def totp_now(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code an authenticator app shows now (django-otp's own TOTP math)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def staff_client(db):
    made = {}

    def get(role):
        if role not in made:
            made[role] = verified_client(make_staff(role.replace(" ", "_"), role))
        return made[role]

    return get


@pytest.fixture
def officer(staff_client):
    return staff_client("privacy officer")
