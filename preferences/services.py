"""Every write to preferences. Each change is one transaction that updates the
state, appends a ConsentEvent and appends an audit event.

Propagation (the outbox) joins these same transactions: see `_record_change`.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

import anonymizer
import audit
from anonymizer.models import ErasureRequest
from preferences import jurisdictions
from preferences.consent_cache import forget_subject
from preferences.crypto import email_digest, normalise_email
from preferences.models import (
    ConsentEvent,
    EventType,
    Feedback,
    Purpose,
    PurposeConsent,
    Source,
    Subject,
    Subscription,
    Suppression,
    Topic,
)
from preferences.outbox import outbox_enqueue, outbox_write
from preferences.unsubscribe_sql import unsubscribe_in_one_statement

Status = Subscription.Status
PAUSE_WEEKS = (1, 4, 12)


class NotFound(Exception):
    """The subject or topic named does not exist."""


class Conflict(Exception):
    """The email and the external id given belong to two different subjects."""


@dataclass(frozen=True)
class Change:
    subject: Subject
    topic: Topic | None
    kind: str
    old: str
    new: str
    source: str
    paused_until: datetime | None = None


_EVENT_TYPES = {
    ConsentEvent.Kind.SUBSCRIPTION: EventType.SUBSCRIPTION_CHANGED,
    ConsentEvent.Kind.UNSUBSCRIBE_ALL: EventType.SUBJECT_SUPPRESSED,
    ConsentEvent.Kind.RESUBSCRIBE_ALL: EventType.SUBJECT_UNSUPPRESSED,
}


def _record_change(change: Change, *, actor) -> None:
    """Append the ConsentEvent, the outbox rows and the audit event for one change.

    Runs inside the caller's transaction, so all of them commit or none does.
    """
    ConsentEvent.objects.create(
        subject=change.subject,
        topic=change.topic,
        kind=change.kind,
        old_status=change.old,
        new_status=change.new,
        paused_until=change.paused_until,
        source=change.source,
    )
    details = {"kind": change.kind, "old": change.old, "new": change.new,
               "source": change.source}
    if change.topic is not None:
        details["topic"] = change.topic.slug
    if change.paused_until is not None:
        details["paused_until"] = change.paused_until.isoformat()
    data = {"old": change.old, "new": change.new, "source": change.source}
    if change.paused_until is not None:
        data["paused_until"] = change.paused_until.isoformat()
    outbox_write(subject=change.subject, event_type=_EVENT_TYPES[change.kind],
                 topic=change.topic, data=data)
    audit.record(actor=actor, action="consent.changed", target=change.subject, details=details)


def _locked_subscription(*, subject: Subject, topic: Topic) -> tuple[Subscription, str]:
    """The subscription row, locked; created (unsubscribed) if the subject never had one.

    Returns the row and its status before this call ("" if it did not exist).
    """
    rows = Subscription.objects.select_for_update(of=("self",))
    sub = rows.filter(subject=subject, topic=topic).first()
    if sub is not None:
        return sub, sub.status
    try:
        with transaction.atomic():
            sub = Subscription.objects.create(subject=subject, topic=topic,
                                              status=Status.UNSUBSCRIBED)
        return sub, ""
    except IntegrityError:  # created concurrently: take that one
        return rows.get(subject=subject, topic=topic), Status.UNSUBSCRIBED


def subscription_set(
    *,
    subject: Subject,
    topic: Topic,
    status: str,
    source: str,
    actor,
    paused_until: datetime | None = None,
) -> bool:
    """Set one topic's status; returns False when nothing changed (idempotent)."""
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    if (status == Status.PAUSED) != (paused_until is not None):
        raise ValueError("a pause needs an end date, and only a pause has one")
    if paused_until is not None and paused_until <= timezone.now():
        raise ValueError("a pause must end in the future")
    with transaction.atomic():
        sub, old = _locked_subscription(subject=subject, topic=topic)
        if old == status and sub.paused_until == paused_until:
            return False
        sub.status, sub.paused_until, sub.updated_at = status, paused_until, timezone.now()
        sub.save(update_fields=["status", "paused_until", "updated_at"])
        _record_change(
            Change(subject, topic, ConsentEvent.Kind.SUBSCRIPTION, old or "none", status,
                   source, paused_until),
            actor=actor,
        )
    return True


def subscription_pause(*, subject: Subject, topic: Topic, weeks: int, source: str, actor) -> bool:
    if weeks not in PAUSE_WEEKS:
        raise ValueError(f"a pause lasts one of {PAUSE_WEEKS} weeks")
    until = timezone.now() + timedelta(weeks=weeks)
    return subscription_set(subject=subject, topic=topic, status=Status.PAUSED,
                            paused_until=until, source=source, actor=actor)


def subscription_unsubscribe_by_token(
    *, subject_id: uuid.UUID, topic_slug: str, source: str = Source.ONE_CLICK
) -> tuple[Subscription, bool]:
    """The one-click path: unsubscribe the subject and topic a token names.

    Returns the subscription (subject and topic loaded, for the answer page) and
    whether it changed. One joined, locked SELECT on the hot path; POSTing twice
    changes nothing the second time.
    """
    if connection.vendor == "postgresql":
        done = unsubscribe_in_one_statement(subject_id=subject_id, topic_slug=topic_slug,
                                            source=source)
        if done is not None:
            sub, changed, deliveries = done
            if deliveries:
                transaction.on_commit(lambda: outbox_enqueue(deliveries))
            return sub, changed
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("subject", "topic")
            .filter(subject__public_id=subject_id, topic__slug=topic_slug)
            .first()
        )
        if sub is None:
            subject = Subject.objects.filter(public_id=subject_id).first()
            topic = Topic.objects.filter(slug=topic_slug).first()
            if subject is None or topic is None:
                raise NotFound
            changed = subscription_set(subject=subject, topic=topic,
                                       status=Status.UNSUBSCRIBED, source=source, actor=subject)
            return Subscription.objects.get(subject=subject, topic=topic), changed
        if sub.status == Status.UNSUBSCRIBED:
            return sub, False
        old = sub.status
        sub.status, sub.paused_until, sub.updated_at = Status.UNSUBSCRIBED, None, timezone.now()
        sub.save(update_fields=["status", "paused_until", "updated_at"])
        _record_change(
            Change(sub.subject, sub.topic, ConsentEvent.Kind.SUBSCRIPTION, old,
                   Status.UNSUBSCRIBED, source),
            actor=sub.subject,
        )
    return sub, True


def subject_unsubscribe_all(*, subject: Subject, source: str, actor) -> bool:
    """The global opt-out. Topic choices are kept, but none may be sent to while it holds."""
    with transaction.atomic():
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        if subject.unsubscribed_all:
            return False
        subject.unsubscribed_all = True
        subject.save(update_fields=["unsubscribed_all", "updated_at"])
        if subject.email_digest:
            Suppression.objects.get_or_create(
                email_digest=subject.email_digest,
                defaults={"reason": Suppression.Reason.UNSUBSCRIBED_ALL},
            )
        _record_change(
            Change(subject, None, ConsentEvent.Kind.UNSUBSCRIBE_ALL, "", "unsubscribed_all",
                   source),
            actor=actor,
        )
    return True


def subject_resubscribe_all(*, subject: Subject, source: str, actor) -> bool:
    """Lift the global opt-out: the person's earlier topic choices apply again.

    Only the subject's own suppression entry is lifted; a complaint, bounce or
    staff suppression stays.
    """
    with transaction.atomic():
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        if not subject.unsubscribed_all:
            return False
        subject.unsubscribed_all = False
        subject.save(update_fields=["unsubscribed_all", "updated_at"])
        if subject.email_digest:
            Suppression.objects.filter(
                email_digest=subject.email_digest, reason=Suppression.Reason.UNSUBSCRIBED_ALL
            ).delete()
        _record_change(
            Change(subject, None, ConsentEvent.Kind.RESUBSCRIBE_ALL, "unsubscribed_all", "",
                   source),
            actor=actor,
        )
    return True


def _clean_email(email: str) -> str:
    email = normalise_email(email)
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError("not a valid email address") from None
    return email


def subject_upsert(
    *,
    actor,
    source: str,
    email: str | None = None,
    external_id: str | None = None,
    locale: str | None = None,
    country: str | None = None,
    subscriptions: dict[str, bool] | None = None,
    double_opt_in: bool = False,
) -> tuple[Subject, bool]:
    """Create or update a subject found by email (digest) or external id.

    Returns (subject, created). Topics named in `subscriptions` must exist; a new
    subject also gets every topic marked `default_subscribed`.

    `double_opt_in` (an untrusted source): each subscription asked for stays
    pending, a new subject is pending as a whole, and a confirmation link is
    emailed; nothing is sent to them until they click it.
    """
    if double_opt_in and not email:
        raise ValueError("double opt-in needs an email to send the confirmation to")
    if not email and not external_id:
        raise ValueError("an email or an external_id is required")
    email = _clean_email(email) if email else None
    digest = email_digest(email) if email else None
    subscriptions = subscriptions or {}
    topics = {t.slug: t for t in Topic.objects.filter(slug__in=list(subscriptions))}
    unknown = sorted(set(subscriptions) - set(topics))
    if unknown:
        raise NotFound(f"unknown topic: {', '.join(unknown)}")
    arguments = {"actor": actor, "source": source, "email": email, "digest": digest,
                 "external_id": external_id, "locale": locale, "country": country,
                 "subscriptions": subscriptions, "topics": topics,
                 "double_opt_in": double_opt_in}
    try:
        return _upsert_once(**arguments)
    except IntegrityError:
        # A concurrent request created the same subject first: now we find it.
        return _upsert_once(**arguments)


def _upsert_once(*, actor, source, email, digest, external_id, locale, country, subscriptions,
                 topics, double_opt_in=False) -> tuple[Subject, bool]:
    topics = dict(topics)
    with transaction.atomic():
        by_email = (Subject.objects.select_for_update().filter(email_digest=digest).first()
                    if digest else None)
        by_external = (Subject.objects.select_for_update().filter(external_id=external_id)
                       .first() if external_id else None)
        if by_email and by_external and by_email.pk != by_external.pk:
            raise Conflict
        subject = by_email or by_external
        created = subject is None
        if created:
            subject = Subject(email=email, email_digest=digest, external_id=external_id,
                              pending_since=timezone.now() if double_opt_in else None)
        elif email and subject.email_digest != digest:
            subject.email, subject.email_digest = email, digest
        if external_id:
            subject.external_id = external_id
        if locale is not None:
            subject.locale = locale
        if country is not None:
            subject.country = country.upper()
        subject.save()
        audit.record(actor=actor, action="subject.created" if created else "subject.updated",
                     target=subject, details={"source": source})
        wanted = dict(subscriptions)
        if created:
            for topic in Topic.objects.filter(default_subscribed=True):
                topics.setdefault(topic.slug, topic)
                wanted.setdefault(topic.slug, True)
        current = ({s.topic_id: s.status for s in subject.subscriptions.all()}
                   if double_opt_in and not created else {})
        pending = []
        for slug, on in wanted.items():
            status = Status.SUBSCRIBED if on else Status.UNSUBSCRIBED
            if on and double_opt_in and current.get(topics[slug].pk) != Status.SUBSCRIBED:
                status = Status.PENDING
                pending.append(slug)
            subscription_set(subject=subject, topic=topics[slug], status=status,
                             source=source, actor=actor)
        if pending or (created and double_opt_in):
            from preferences.tasks import send_confirmation

            subject_id = str(subject.public_id)
            transaction.on_commit(lambda: send_confirmation.delay(subject_id=subject_id,
                                                                  topics=sorted(pending)))
    return subject, created


def feedback_record(*, subscription: Subscription, reason: str,
                    comment: str = "") -> Feedback | None:
    """Store why someone left: one reason per unsubscribe, so a resent form or a
    replayed token cannot inflate the analytics. Returns None if already given.

    The comment is redacted here, before anything is written: what a person types
    may hold their address, phone or name, and feedback outlives erasure.
    """
    if reason not in Feedback.Reason.values:
        raise ValueError(f"unknown reason {reason!r}")
    if len(comment) > Feedback.COMMENT_MAX_LENGTH:
        raise ValueError(f"a comment is at most {Feedback.COMMENT_MAX_LENGTH} characters")
    comment = anonymizer.redact(comment.strip()) if comment.strip() else ""
    with transaction.atomic():
        first = Subscription.objects.filter(
            Q(feedback_at__isnull=True) | Q(feedback_at__lt=F("updated_at")),
            pk=subscription.pk, status=Status.UNSUBSCRIBED,
        ).update(feedback_at=timezone.now())
        if not first:
            return None
        return Feedback.objects.create(topic=subscription.topic, reason=reason,
                                       comment=comment, country=subscription.subject.country)


def erasure_request(*, subject: Subject, source: str, actor) -> ErasureRequest:
    """Record the request (idempotent while one is open) and queue it after commit;
    the anonymizer carries it out (`anonymizer.erasure`)."""
    from anonymizer.erasure import erasure_open

    return erasure_open(public_id=subject.public_id, source=source, actor=actor)


def preference_link_send(*, email_digest: str | None = None,
                         subject_id: str | None = None) -> bool:
    """Email a fresh preference link to the subject, if there is one.

    Called from a task so the page that asks answers the same, and as fast,
    whether or not the address is known.
    """
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    from preferences.email import preferences_url

    if email_digest:
        subject = Subject.objects.filter(email_digest=email_digest).first()
    else:
        subject = Subject.objects.filter(public_id=subject_id).first()
    if subject is None or not subject.email:
        return False
    language = subject.locale if subject.locale in dict(settings.LANGUAGES) else "en"
    with translation.override(language):
        context = {"url": preferences_url(subject),
                   "days": settings.HUSH_PREFERENCE_LINK_MAX_AGE // 86400}
        body = render_to_string("preferences/email/preference_link.txt", context)
        title = render_to_string("preferences/email/preference_link_subject.txt").strip()
    send_mail(title, body, None, [subject.email])
    audit.record(actor=audit.SYSTEM, action="preference_link.sent", target=subject)
    return True


# --- purposes ----------------------------------------------------------------------

GRANTED, REFUSED = "granted", "refused"


def _purpose_state(subject: Subject, purpose: Purpose, consent: PurposeConsent | None) -> bool:
    if consent is not None:
        return consent.granted
    return jurisdictions.purpose_default(purpose, subject.country)


def purpose_set(*, subject: Subject, purpose: Purpose, granted: bool, source: str,
                actor) -> bool:
    """Turn one purpose on or off for a subject; False when it already was (idempotent).

    One transaction: the current state, a ConsentEvent naming the wording version
    the person saw (the receipt), a `purpose.changed` outbox row per destination
    and an audit event. The capture path's cache forgets the subject on commit.
    """
    with transaction.atomic():
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
        ConsentEvent.objects.create(subject=subject, purpose=purpose,
                                    purpose_version=purpose.version,
                                    kind=ConsentEvent.Kind.PURPOSE, old_status=old_s,
                                    new_status=new_s, source=source, occurred_at=now)
        data = {"purpose": purpose.slug, "version": purpose.version, "old": old_s,
                "new": new_s, "source": source}
        outbox_write(subject=subject, event_type=EventType.PURPOSE_CHANGED, data=data)
        audit.record(actor=actor, action="purpose.changed", target=subject, details=data)
        forget_subject(subject.pk)  # also for the update() above, which sends no signal
    return True


def purposes_all_off(*, subject: Subject, source: str, actor,
                     only_sale_or_sharing: bool = False) -> list[str]:
    """Turn off every purpose that is on (or only those that sell or share);
    returns the slugs changed. All or nothing."""
    purposes = Purpose.objects.all()
    if only_sale_or_sharing:
        purposes = purposes.filter(is_sale_or_sharing=True)
    changed = []
    with transaction.atomic():
        for purpose in purposes:
            if purpose_set(subject=subject, purpose=purpose, granted=False, source=source,
                           actor=actor):
                changed.append(purpose.slug)
    return changed


def purposes_apply_gpc(*, subject: Subject) -> list[str]:
    """A Global Privacy Control signal: every sale or sharing purpose off, source `gpc`.

    Recorded once: a purpose already off is left alone, and so is one the person
    turned back on themselves after a signal was honoured (the CCPA lets a person
    opt back in for one business).
    """
    changed = []
    with transaction.atomic():
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


# --- double opt-in -------------------------------------------------------------------

def confirmation_send(*, subject_id: str, topics: list[str]) -> bool:
    """Email the signed, expiring confirmation link (the task's body)."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    from preferences.tokens import make_confirmation_token

    subject = Subject.objects.filter(public_id=subject_id).first()
    if subject is None or not subject.email:
        return False
    token = make_confirmation_token(subject=subject, topics=topics)
    language = subject.locale if subject.locale in dict(settings.LANGUAGES) else "en"
    with translation.override(language):
        body = render_to_string("preferences/email/confirm.txt", {
            "url": settings.HUSH_BASE_URL + reverse("preferences:confirm", args=[token]),
            "days": max(1, settings.HUSH_DOI_EXPIRY // 86400)})
        title = render_to_string("preferences/email/confirm_subject.txt").strip()
    send_mail(title, body, None, [subject.email])
    audit.record(actor=audit.SYSTEM, action="confirmation.sent", target=subject)
    return True


def subject_confirm(*, subject: Subject, topics: list[str]) -> list[str]:
    """The subject clicked the link: their pending subscriptions become real, each
    change a ConsentEvent with source `confirmation`. Returns the topics confirmed."""
    confirmed = []
    with transaction.atomic():
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        if subject.pending_since is not None:
            subject.pending_since = None
            subject.save(update_fields=["pending_since", "updated_at"])
            audit.record(actor=subject, action="subject.confirmed", target=subject,
                         details={"source": Source.CONFIRMATION})
        for sub in subject.subscriptions.select_related("topic").filter(
                status=Status.PENDING, topic__slug__in=topics):
            subscription_set(subject=subject, topic=sub.topic, status=Status.SUBSCRIBED,
                             source=Source.CONFIRMATION, actor=subject)
            confirmed.append(sub.topic.slug)
    return confirmed


def unconfirmed_purge(*, now: datetime | None = None) -> dict:
    """Past the confirmation window: delete subjects that never confirmed (and all
    their data, by cascade) and pending subscriptions of confirmed subjects."""
    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(seconds=settings.HUSH_DOI_EXPIRY)
    subjects = 0
    for subject in Subject.objects.filter(pending_since__lt=cutoff).only("pk", "public_id"):
        with transaction.atomic():
            if Subject.objects.filter(pk=subject.pk, pending_since__lt=cutoff).exists():
                audit.record(actor=audit.SYSTEM, action="subject.purged_unconfirmed",
                             target=subject)
                Subject.objects.filter(pk=subject.pk).delete()
                subjects += 1
    stale = Subscription.objects.filter(status=Status.PENDING, updated_at__lt=cutoff)
    subscriptions, _ = stale.delete()
    return {"subjects": subjects, "subscriptions": subscriptions}
