"""Writes to brands: saving one (audited) and checking an uploaded logo."""

import re

from django.db import transaction

import audit
from preferences.branding.selectors import brand_cache_clear
from preferences.models import Brand

LOGO_MAX_BYTES = 256 * 1024
_SVG_ACTIVE = re.compile(rb"<script|\bon[a-z]+\s*=|javascript:|<foreignObject|<iframe",
                         re.IGNORECASE)


class BadLogo(ValueError):
    """Not an image Hush will serve."""


def logo_type(data: bytes) -> str:
    """The image type of an uploaded logo, from its bytes (never from its name)."""
    if len(data) > LOGO_MAX_BYTES:
        raise BadLogo(f"The logo is larger than {LOGO_MAX_BYTES // 1024} KB.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip().lower()
    if (head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower()):
        if _SVG_ACTIVE.search(data):
            raise BadLogo("The SVG logo holds scripts or event handlers.")
        return "image/svg+xml"
    raise BadLogo("The logo must be a PNG, JPEG, WebP or SVG image.")


def brand_save(*, brand: Brand, logo: bytes | None = None, remove_logo: bool = False,
               actor) -> Brand:
    """Save a brand (new or changed) and record who did it; one default brand at most."""
    created = brand.pk is None
    with transaction.atomic():
        if logo is not None:
            brand.logo_type = logo_type(logo)
            brand.logo = logo
        elif remove_logo:
            brand.logo, brand.logo_type = None, ""
        if brand.is_default:
            Brand.objects.filter(is_default=True).exclude(pk=brand.pk).update(is_default=False)
        brand.save()
        transaction.on_commit(brand_cache_clear)
        audit.record(actor=actor, action="brand.created" if created else "brand.changed",
                     target=brand,
                     details={"default": brand.is_default, "logo": bool(brand.logo_type)})
    return brand
