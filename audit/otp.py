"""Second factors for staff: TOTP (an authenticator app) and one-time backup codes."""

import base64

import segno
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit

BACKUP_CODES = 10


def has_device(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def totp_pending(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up (one per user, made on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG, drawn here: the secret never leaves the server."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, dark="#111", light="#fff", title="Scan with your authenticator")


@transaction.atomic
def totp_confirm(*, user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the authenticator with a code from it; returns fresh backup codes
    (shown once: only they exist now, not stored anywhere readable), or None."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_renew(user=user)
    audit.record(actor=user, action="staff.otp_enrolled", target=f"user:{user.pk}",
                 details={"device": "totp", "backup_codes": len(codes)})
    return codes


def backup_codes_renew(*, user) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup codes",
                                                   defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def otp_match(user, token: str):
    """The confirmed device that accepts `token`, or None. Each device throttles
    itself (django-otp's ThrottlingMixin): failures double its wait."""
    token = token.replace(" ", "").strip()
    if not token:
        return None
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.devices_for_user(user, confirmed=True):
            if device.verify_token(token):
                return device
    return None


def otp_throttled(user) -> bool:
    """True while every device of the user is waiting out its throttle."""
    devices = [*TOTPDevice.objects.devices_for_user(user, confirmed=True),
               *StaticDevice.objects.devices_for_user(user, confirmed=True)]
    return bool(devices) and all(not d.verify_is_allowed()[0] for d in devices)
