"""Which brand a page or an email wears, its texts in the reader's language, and the
address a page manages, masked."""

import time
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db import DatabaseError
from django.utils import translation

from preferences.models import Brand, Topic

DEFAULT_SLUG = "default"


def settings_brand() -> Brand:
    """The brand the `HUSH_BRAND_*` settings describe (never saved)."""
    sender_name, sender_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return Brand(slug=DEFAULT_SLUG, name=settings.HUSH_BRAND_NAME, is_default=True,
                 accent_colour=settings.HUSH_BRAND_ACCENT_COLOUR,
                 privacy_policy_url=settings.HUSH_BRAND_PRIVACY_POLICY_URL,
                 contact_url=settings.HUSH_BRAND_CONTACT_URL,
                 legal_entity=settings.HUSH_BRAND_LEGAL_ENTITY,
                 sender_name=sender_name, sender_email=sender_email)


def default_brand() -> Brand:
    return Brand.objects.filter(is_default=True).first() or settings_brand()


def brand_named(slug: str | None) -> Brand:
    """The brand a link names (`?brand=`); an unknown or missing name: the default."""
    if slug and slug != DEFAULT_SLUG and len(slug) <= 64:
        brand = Brand.objects.filter(slug=slug).first()
        if brand is not None:
            return brand
    return default_brand()


def brand_of_topic(topic) -> Brand:
    if topic is not None and topic.brand_id:
        return topic.brand
    return default_brand()


def brand_of_topics(topics) -> Brand:
    """The one brand several topics share (a sign-up, a confirmation); else the default."""
    brands = {t.brand_id for t in topics}
    if len(brands) == 1 and None not in brands:
        return next(iter(topics)).brand
    return default_brand()


_cached: dict = {}
CACHE_SECONDS = 30


def brand_cached(brand_id: int | None) -> Brand:
    """A topic's brand (None: the default) for the one-click answer, kept in this process
    for CACHE_SECONDS so the busiest page costs no query for it; a change shows within."""
    now = time.monotonic()
    hit = _cached.get(brand_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        brand = ((Brand.objects.filter(pk=brand_id).first() if brand_id else None)
                 or default_brand())
    except DatabaseError:  # the database is away (one-click keeps answering): the last one
        return hit[1] if hit is not None else settings_brand()
    _cached[brand_id] = (now + CACHE_SECONDS, brand)
    return brand


_topics: dict = {}


def topic_cached(slug: str):
    """A topic with its brand, from this process's copy (read again after
    CACHE_SECONDS): the one-click pages need it on every request. None if unknown, or
    if the database cannot be reached and it was never read."""
    now = time.monotonic()
    if _topics.get("__until__", 0) <= now:
        try:
            fresh = {t.slug: t for t in Topic.objects.select_related("brand")}
        except DatabaseError:
            return _topics.get(slug)
        _topics.clear()
        _topics.update(fresh)
        _topics["__until__"] = now + CACHE_SECONDS
    return _topics.get(slug)


def brand_cache_clear() -> None:
    _cached.clear()
    _topics.clear()


def translated(obj, field: str, language: str | None = None) -> str:
    """`obj.<field>` in `language` (default: the active one) when a translation exists."""
    if isinstance(obj, dict):  # a page rendered once per topic passes {"name": ...}
        return obj.get(field, "")
    language = (language or translation.get_language() or "en").split("-")[0]
    texts = getattr(obj, "translations", None) or {}
    text = texts.get(language, {}).get(field) if isinstance(texts.get(language), dict) else None
    return text if isinstance(text, str) and text.strip() else getattr(obj, field)


def mask_email(email: str | None) -> str:
    """What a page shows of the address it manages: `d•••@example.com`."""
    if not email or "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}\N{BULLET}\N{BULLET}\N{BULLET}@{domain}"


def sender(brand: Brand) -> str:
    """The From of mail sent for `brand`; the settings' DEFAULT_FROM_EMAIL otherwise."""
    if brand.sender_email:
        return formataddr((brand.sender_name or brand.name, brand.sender_email))
    return settings.DEFAULT_FROM_EMAIL


def template_names(brand: Brand, name: str) -> list[str]:
    """A brand's own override of a template first (`HUSH_TEMPLATE_DIR/<slug>/<name>`)."""
    return [f"{brand.slug}/{name}", name]
