"""Writes to privacy choices (purposes): each change one transaction with its
ConsentEvent naming the wording version shown, its outbox rows and its audit event."""

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from common.crypto import email_digest
from preferences.erased import refuse_erased
from preferences.models import (
    ConsentEvent,
    EventType,
    Purpose,
    PurposeConsent,
    Source,
    Subject,
)
from preferences.privacy import jurisdictions, receipts
from preferences.privacy.consent_cache import forget_subject
from preferences.propagation.outbox import outbox_write

GRANTED, REFUSED = "granted", "refused"


def _purpose_state(subject: Subject, purpose: Purpose, consent: PurposeConsent | None) -> bool:
    if consent is not None:
        return consent.granted
    return jurisdictions.purpose_default(purpose, subject.country)


def purpose_set(*, subject: Subject, purpose: Purpose, granted: bool, source: str,
                actor, language: str | None = None) -> bool:
    """Turn one purpose on or off for a subject; False when it already was (idempotent).

    One transaction: the current state, a ConsentEvent naming the wording version
    the person saw (the receipt), a `purpose.changed` outbox row per destination
    and an audit event. The capture path's cache forgets the subject on commit.
    """
    with transaction.atomic():
        refuse_erased(subject)
        consent = (PurposeConsent.objects.select_for_update()
                   .filter(subject=subject, purpose=purpose).first())
        old = _purpose_state(subject, purpose, consent)
        if old == granted:
            return False
        now = timezone.now()
        if consent is None:
            try:
                with transaction.atomic():
                    PurposeConsent.objects.create(subject=subject, purpose=purpose,
                                                  granted=granted, version=purpose.version,
                                                  source=source, updated_at=now)
            except IntegrityError:  # chosen concurrently: this choice comes after it
                PurposeConsent.objects.filter(subject=subject, purpose=purpose).update(
                    granted=granted, version=purpose.version, source=source, updated_at=now)
        else:
            consent.granted, consent.version, consent.source, consent.updated_at = (
                granted, purpose.version, source, now)
            consent.save(update_fields=["granted", "version", "source", "updated_at"])
        old_s, new_s = (GRANTED if old else REFUSED), (GRANTED if granted else REFUSED)
        wording = receipts.wording_shown(purpose, language)
        ConsentEvent.objects.create(subject=subject, purpose=purpose,
                                    purpose_version=purpose.version, wording=wording,
                                    jurisdiction=jurisdictions.law(subject.country),
                                    kind=ConsentEvent.Kind.PURPOSE, old_status=old_s,
                                    new_status=new_s, source=source, occurred_at=now)
        data = {"purpose": purpose.slug, "version": purpose.version, "old": old_s,
                "new": new_s, "source": source}
        outbox_write(subject=subject, event_type=EventType.PURPOSE_CHANGED, data=data)
        # The words' hash is sealed into the trail: an edited wording row shows.
        audit.record(actor=actor, action="purpose.changed", target=subject,
                     details={**data, "wording_sha256": wording.sha256})
        forget_subject(subject.pk)  # also for the update() above, which sends no signal
    return True


def purposes_change(*, subject: Subject, choices: dict[Purpose, bool], source: str,
                    actor) -> list[str]:
    """Several purposes at once, all or none; returns the slugs whose state changed, in
    the order given."""
    changed = []
    with transaction.atomic():
        for purpose, granted in choices.items():
            if purpose_set(subject=subject, purpose=purpose, granted=granted, source=source,
                           actor=actor):
                changed.append(purpose.slug)
    return changed


def purposes_all_off(*, subject: Subject, source: str, actor,
                     only_sale_or_sharing: bool = False) -> list[str]:
    """Turn off every purpose that is on (or only those that sell or share);
    returns the slugs changed. All or nothing."""
    purposes = Purpose.objects.all()
    if only_sale_or_sharing:
        purposes = purposes.filter(is_sale_or_sharing=True)
    return purposes_change(subject=subject, choices=dict.fromkeys(purposes, False),
                           source=source, actor=actor)


def gpc_apply_to_refs(refs: list[tuple[str, str]]) -> int:
    """A Global Privacy Control signal the company's site saw, for the subjects named
    by (kind, value) (`id`, `external_id`, `email`): as a preference-center visit with
    `Sec-GPC: 1`. Unknown and erased subjects are skipped. Returns how many changed."""
    changed = 0
    for kind, value in dict.fromkeys(refs):
        if kind == "id":
            try:
                lookup = {"public_id": uuid.UUID(value)}
            except ValueError:
                continue
        elif kind == "external_id":
            lookup = {"external_id": value}
        else:
            lookup = {"email_digest": email_digest(value)}
        subject = Subject.objects.filter(erased_at__isnull=True, **lookup).first()
        if subject is not None and purposes_apply_gpc(subject=subject):
            changed += 1
    return changed


def purposes_apply_gpc(*, subject: Subject) -> list[str]:
    """A Global Privacy Control signal: every sale or sharing purpose off, source `gpc`.

    Recorded once: a purpose already off is left alone, and so is one the person
    turned back on themselves after a signal was honoured (the CCPA lets a person
    opt back in for one business).
    """
    changed = []
    with transaction.atomic():
        refuse_erased(subject)
        for purpose in Purpose.objects.filter(is_sale_or_sharing=True):
            consent = PurposeConsent.objects.filter(subject=subject, purpose=purpose).first()
            if (consent is not None and consent.granted
                    and consent.source == Source.PREFERENCE_CENTER
                    and ConsentEvent.objects.filter(subject=subject, purpose=purpose,
                                                    source=Source.GPC).exists()):
                continue
            if purpose_set(subject=subject, purpose=purpose, granted=False, source=Source.GPC,
                           actor=subject):
                changed.append(purpose.slug)
    return changed
