"""Consent receipts that keep the words: the wording version a person was shown (name
and description, in the page's language), kept immutable, and every purpose choice
as a receipt pointing at it, with the text and its SHA-256."""

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

import audit
from audit.models import AuditEvent
from preferences.branding.selectors import translated
from preferences.models import ConsentEvent, Purpose, PurposeWording, Subject


def shown_language(language: str | None = None) -> str:
    """The language a page or call was answered in, among the ones Hush speaks."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)
    language = language.split("-")[0].lower()
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def purpose_text(purpose: Purpose, language: str) -> tuple[str, str]:
    """The purpose's name and description as shown in `language` (its translation
    when it has one): each language is its own wording row."""
    return (translated(purpose, "name", language), translated(purpose, "description", language))


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def wording_shown(purpose: Purpose, language: str | None = None) -> PurposeWording:
    """The immutable wording row for this purpose's current version in `language`,
    made the first time it is shown (and audited with its hash)."""
    language = shown_language(language)
    found = PurposeWording.objects.filter(purpose=purpose, version=purpose.version,
                                          language=language).first()
    if found is not None:
        return found
    name, description = purpose_text(purpose, language)
    try:
        with transaction.atomic():
            wording = PurposeWording.objects.create(
                purpose=purpose, version=purpose.version, language=language, name=name,
                description=description,
                sha256=sha256_of(PurposeWording.text_of(name, description)))
            audit.record(actor=audit.SYSTEM, action="purpose.wording_recorded", target=purpose,
                         details={"purpose": purpose.slug, "version": purpose.version,
                                  "language": language, "wording_sha256": wording.sha256})
    except IntegrityError:  # recorded concurrently: the same words
        return PurposeWording.objects.get(purpose=purpose, version=purpose.version,
                                          language=language)
    return wording


def receipts_of(subject: Subject) -> list[dict]:
    """Every purpose choice the subject made, oldest first, with the words shown."""
    events = (ConsentEvent.objects.filter(subject=subject, kind=ConsentEvent.Kind.PURPOSE)
              .select_related("purpose", "wording").order_by("occurred_at", "id"))
    receipts = []
    for event in events:
        wording = event.wording
        receipts.append({
            "purpose": event.purpose.slug if event.purpose else None,
            "granted": event.new_status == "granted",
            "source": event.source,
            "occurred_at": event.occurred_at,
            "jurisdiction": event.jurisdiction or None,
            "version": event.purpose_version,
            "language": wording.language if wording else None,
            "wording": wording.text if wording else None,
            "wording_sha256": wording.sha256 if wording else None,
        })
    return receipts


def wordings_verify() -> list[dict]:
    """Wording rows whose words no longer match their hash: the row's own, or the one
    sealed in the audit trail when the row was made (whoever rewrites a row and its
    hash column past the trigger is still caught by the trail)."""
    sealed = {}
    for details in AuditEvent.objects.filter(
            action="purpose.wording_recorded").values_list("details", flat=True):
        key = (details.get("purpose"), details.get("version"), details.get("language"))
        sealed[key] = details.get("wording_sha256")
    changed = []
    for w in PurposeWording.objects.select_related("purpose").order_by("pk"):
        actual = sha256_of(w.text)
        if actual != w.sha256 or sealed.get((w.purpose.slug, w.version, w.language)) != actual:
            changed.append({"purpose": w.purpose_id, "version": w.version,
                            "language": w.language})
    return changed


def wordings_problems() -> list[str]:
    """`verify_audit`'s view of `wordings_verify`."""
    return [f"purpose wording (purpose id={w['purpose']}, version {w['version']}, "
            f"{w['language']}) does not match the hash sealed in the audit trail"
            for w in wordings_verify()]
