"""Reads of privacy choices: each purpose's state for a subject, its history, and
whose data may be used for a purpose."""

import uuid

from django.db.models import Q

from common.crypto import email_digests
from preferences.models import ConsentEvent, Purpose, PurposeConsent, Subject
from preferences.privacy import jurisdictions


def purpose_states(subject: Subject) -> list[dict]:
    """Every purpose with this subject's state: explicit choice, else the default
    for their jurisdiction (`source` "default")."""
    consents = {c.purpose_id: c for c in PurposeConsent.objects.filter(subject=subject)}
    rows = []
    for purpose in Purpose.objects.all():
        consent = consents.get(purpose.pk)
        rows.append({
            "purpose": purpose,
            "granted": consent.granted if consent else
            jurisdictions.purpose_default(purpose, subject.country),
            "source": consent.source if consent else "default",
            "version": consent.version if consent else None,
            "updated_at": consent.updated_at if consent else None,
        })
    return rows


def purpose_history(subject: Subject, limit: int = 100) -> list[ConsentEvent]:
    return list(subject.consent_events.filter(kind=ConsentEvent.Kind.PURPOSE)
                .select_related("purpose").order_by("-occurred_at", "-id")[:limit])


def purpose_allowed(*, purpose: Purpose, recipients: list[str]) -> list[str]:
    """Of `recipients` (emails or subject ids), those whose data may be used for
    `purpose` now: their choice, else their jurisdiction's default; never a subject
    still awaiting double opt-in confirmation. Returns them as given, in order."""
    emails = [r for r in recipients if "@" in r]
    digest_of = dict(zip(emails, email_digests(emails), strict=True))
    id_of = {}
    for r in recipients:
        if "@" not in r:
            try:
                id_of[r] = uuid.UUID(r)
            except ValueError:
                continue
    subjects = Subject.objects.filter(
        Q(email_digest__in=set(digest_of.values())) | Q(public_id__in=set(id_of.values())),
        pending_since__isnull=True)
    consents = dict(PurposeConsent.objects.filter(purpose=purpose, subject__in=subjects)
                    .values_list("subject_id", "granted"))
    ok_digests, ok_ids = set(), set()
    for subject in subjects.only("pk", "public_id", "email_digest", "country"):
        granted = consents.get(subject.pk)
        if granted is None:
            granted = jurisdictions.purpose_default(purpose, subject.country)
        if granted:
            ok_ids.add(subject.public_id)
            if subject.email_digest:
                ok_digests.add(subject.email_digest)
    return [r for r in recipients
            if (r in digest_of and digest_of[r] in ok_digests)
            or (r in id_of and id_of[r] in ok_ids)]
