"""Writes to subjects and their subscriptions. Each change is one transaction that
updates the state, appends a ConsentEvent and appends an audit event.

Propagation (the outbox) joins these same transactions: see `_record_change`.

It runs past 400 lines because every write that makes a ConsentEvent lives here, next
to the one `_record_changes` they all go through (the suppression list's too).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

import audit
from anonymizer.core.redact import redact
from anonymizer.ledger import SUPPRESSION, UNSUPPRESSION, ledger_append
from common.crypto import email_digest, normalise_email
from common.tasks import task_send_on_commit
from preferences.branding.mail import branded_mail, language_of
from preferences.branding.selectors import brand_named
from preferences.email import LINK, mail_send_message, preferences_url
from preferences.erased import SubjectErased, refuse_erased
from preferences.imports.bulk import digest_matches
from preferences.models import (
    ConsentEvent,
    DigestSuppression,
    EventType,
    Feedback,
    Source,
    Subject,
    Subscription,
    Suppression,
    Topic,
)
from preferences.propagation.outbox import outbox_enqueue, outbox_write_many
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
    ConsentEvent.Kind.SUPPRESSED: EventType.SUBJECT_SUPPRESSED,
}


def _record_change(change: Change, *, actor) -> None:
    """Append the ConsentEvent, the outbox rows and the audit event for one change.

    Runs inside the caller's transaction, so all of them commit or none does.
    """
    _record_changes([change], actor=actor)


def _record_changes(changes: list[Change], *, actor) -> None:
    """`_record_change` for many changes by one actor: each kind of row in one INSERT."""
    if not changes:
        return
    ConsentEvent.objects.bulk_create([ConsentEvent(
        subject=c.subject, topic=c.topic, kind=c.kind, old_status=c.old, new_status=c.new,
        paused_until=c.paused_until, source=c.source) for c in changes])
    outbox, audited = [], []
    for change in changes:
        details = {"kind": change.kind, "old": change.old, "new": change.new,
                   "source": change.source}
        if change.topic is not None:
            details["topic"] = change.topic.slug
        if change.paused_until is not None:
            details["paused_until"] = change.paused_until.isoformat()
        data = {"old": change.old, "new": change.new, "source": change.source}
        if change.paused_until is not None:
            data["paused_until"] = change.paused_until.isoformat()
        outbox.append((change.subject, _EVENT_TYPES[change.kind], change.topic, data))
        audited.append((change.subject, details))
    outbox_write_many(outbox)
    audit.record_many(actor=actor, action="consent.changed", items=audited)


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
        refuse_erased(subject)
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


class TopicChange(NamedTuple):
    topic: Topic
    status: str
    paused_until: datetime | None = None


def subscriptions_change(*, subject: Subject, changes: list[TopicChange], source: str,
                         actor) -> list[str]:
    """Several topics at once, all or none (a bad change undoes the others); returns
    the slugs of the topics whose state changed, in the order given."""
    changed = []
    with transaction.atomic():
        for change in changes:
            if subscription_set(subject=subject, topic=change.topic, status=change.status,
                                paused_until=change.paused_until, source=source, actor=actor):
                changed.append(change.topic.slug)
    return changed


def subscription_frequency_set(*, subject: Subject, topic: Topic, frequency: str,
                               actor) -> bool:
    """How often the subject wants a topic (one of the topic's frequencies; blank: its
    first). Not a consent change, so no ConsentEvent; audited. False if unchanged."""
    offered = topic.frequencies or []
    if frequency and frequency not in offered:
        raise ValueError(f"{topic.slug} offers {offered}, not {frequency!r}")
    first = offered[0] if offered else ""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update(of=("self",)).filter(
            subject=subject, topic=topic).first()
        if sub is None or (sub.frequency or first) == (frequency or first):
            return False  # never subscribed: nothing to send at any rhythm
        old, sub.frequency = sub.frequency, frequency
        sub.save(update_fields=["frequency"])
        audit.record(actor=actor, action="subscription.frequency_changed", target=subject,
                     details={"topic": topic.slug, "old": old, "new": frequency})
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
        if sub.subject.erased_at is not None:
            raise SubjectErased
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
        if subject.erased_at is not None:
            raise SubjectErased
        if subject.unsubscribed_all:
            return False
        subject.unsubscribed_all = True
        subject.save(update_fields=["unsubscribed_all", "updated_at"])
        if subject.email_digest:
            _, added = Suppression.objects.get_or_create(
                email_digest=subject.email_digest,
                defaults={"reason": Suppression.Reason.UNSUBSCRIBED_ALL},
            )
            if added:  # outside the database too: a restored backup cannot lift it
                ledger_append(kind=SUPPRESSION, record={
                    "email_digests": [subject.email_digest],
                    "reason": Suppression.Reason.UNSUBSCRIBED_ALL})
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
        if subject.erased_at is not None:
            raise SubjectErased
        if not subject.unsubscribed_all:
            return False
        subject.unsubscribed_all = False
        subject.save(update_fields=["unsubscribed_all", "updated_at"])
        if subject.email_digest:
            lifted, _ = Suppression.objects.filter(
                email_digest=subject.email_digest, reason=Suppression.Reason.UNSUBSCRIBED_ALL
            ).delete()
            if lifted:  # so that a replay lifts it again, in order
                ledger_append(kind=UNSUPPRESSION, record={
                    "email_digests": [subject.email_digest],
                    "reason": Suppression.Reason.UNSUBSCRIBED_ALL})
        _record_change(
            Change(subject, None, ConsentEvent.Kind.RESUBSCRIBE_ALL, "unsubscribed_all", "",
                   source),
            actor=actor,
        )
    return True


def suppression_add(*, email_digest: str, reason: str, source: str, actor) -> bool:
    """Put an address on the suppression list by its keyed digest, whether or not it
    belongs to a subject: a later import or upsert of the address stays suppressed.

    Returns whether anything changed. A reason only ever hardens: a complaint, bounce
    or erasure replaces the subject's own "unsubscribed from everything" (which
    `subject_resubscribe_all` lifts), never the other way round. For a known subject
    the change is a ConsentEvent (kind `suppressed`), outbox rows (subject.suppressed)
    and an audit event, like any opt-out; for an unknown address, an audit event.
    """
    return bool(suppressions_add(email_digests=[email_digest], reason=reason, source=source,
                                 actor=actor))


def suppressions_add(*, email_digests: list[str], reason: str, source: str, actor) -> set[str]:
    """`suppression_add` for many addresses at once (an email provider's batch), in a
    few statements whatever their number; returns the digests whose suppression changed."""
    if reason not in Suppression.Reason.values:
        raise ValueError(f"unknown suppression reason {reason!r}")
    digests = list(dict.fromkeys(d for d in email_digests if d))
    if not digests:
        return set()
    with transaction.atomic():
        current = dict(Suppression.objects.select_for_update().filter(email_digest__in=digests)
                       .values_list("email_digest", "reason"))
        inserted = _suppressions_insert([d for d in digests if d not in current], reason)
        late = [d for d in digests if d not in current and d not in inserted]
        if late:  # added by a concurrent transaction since: lock and read those
            current.update(Suppression.objects.select_for_update()
                           .filter(email_digest__in=late).values_list("email_digest", "reason"))
        hardened = [d for d, r in current.items()
                    if r == Suppression.Reason.UNSUBSCRIBED_ALL and reason != r]
        if hardened:
            Suppression.objects.filter(email_digest__in=hardened).update(reason=reason)
        old = {**dict.fromkeys(inserted, ""),
               **dict.fromkeys(hardened, Suppression.Reason.UNSUBSCRIBED_ALL.value)}
        subjects = {s.email_digest: s for s in Subject.objects.filter(email_digest__in=list(old))}
        _record_changes([Change(subjects[d], None, ConsentEvent.Kind.SUPPRESSED, old[d], reason,
                                source) for d in old if d in subjects], actor=actor)
        # Outside the database too, in this transaction: should the write fail, nothing
        # commits and the caller retries; a restored backup cannot unsuppress them.
        if old:
            ledger_append(kind=SUPPRESSION, record={"email_digests": sorted(old),
                                                    "reason": reason})
        unknown = [d for d in old if d not in subjects]
        if unknown:
            audit.record_many(actor=actor, action="suppression.added", items=[
                (None, {"reason": reason, "old": old[d], "source": source}) for d in unknown])
    return set(old)


def _suppressions_insert(digests: list[str], reason: str) -> list[str]:
    """INSERT ... ON CONFLICT DO NOTHING: the digests this statement added."""
    if not digests:
        return []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = ", ".join(["(%s, %s, %s)"] * len(digests))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO preferences_suppression (email_digest, reason, created_at) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (email_digest) DO NOTHING RETURNING email_digest",
            [value for d in digests for value in (d, reason, now)])
        return [row[0] for row in cursor.fetchall()]


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
        if subject is not None and subject.erased_at is not None:
            raise SubjectErased  # being erased: its address leaves with the last step
        created = subject is None
        created_or_moved = created
        if created:
            subject = Subject(email=email, email_digest=digest, external_id=external_id,
                              pending_since=timezone.now() if double_opt_in else None)
        elif email and subject.email_digest != digest:
            subject.email, subject.email_digest = email, digest
            created_or_moved = True
        if external_id:
            subject.external_id = external_id
        if locale is not None:
            subject.locale = locale
        if country is not None:
            subject.country = country.upper()
        subject.save()
        audit.record(actor=actor, action="subject.created" if created else "subject.updated",
                     target=subject, details={"source": source})
        if email and created_or_moved and DigestSuppression.objects.exists():
            # an email provider's list named this address by its hash (import suppressions)
            for matched, reason in digest_matches([(subject.pk, email)]):
                suppressions_add(email_digests=[matched], reason=reason, source=Source.IMPORT,
                                 actor=actor)
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
            task_send_on_commit("preferences.confirmation_send",
                                subject_id=str(subject.public_id), topics=sorted(pending))
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
    comment = redact(comment.strip()) if comment.strip() else ""
    with transaction.atomic():
        first = Subscription.objects.filter(
            Q(feedback_at__isnull=True) | Q(feedback_at__lt=F("updated_at")),
            pk=subscription.pk, status=Status.UNSUBSCRIBED,
        ).update(feedback_at=timezone.now())
        if not first:
            return None
        return Feedback.objects.create(topic=subscription.topic, reason=reason,
                                       comment=comment, country=subscription.subject.country)


def preference_link_send(*, email_digest: str | None = None,
                         subject_id: str | None = None, brand: str | None = None) -> bool:
    """Email a fresh preference link to the subject, if there is one, from `brand` (the
    slug of the page it was asked on).

    Called from a task so the page that asks answers the same, and as fast,
    whether or not the address is known.
    """
    if email_digest:
        subject = Subject.objects.filter(email_digest=email_digest).first()
    else:
        subject = Subject.objects.filter(public_id=subject_id).first()
    if subject is None or not subject.email or subject.erased_at is not None:
        return False
    wearing = brand_named(brand)
    message = branded_mail(template="preference_link", brand=wearing,
                           language=language_of(subject), to=subject.email, context={
                               "url": preferences_url(subject, brand=wearing),
                               "days": settings.HUSH_PREFERENCE_LINK_MAX_AGE // 86400})
    if not mail_send_message(message, kind=LINK):
        return False  # erased, a complaint, a bounce: never mailed
    audit.record(actor=audit.SYSTEM, action="preference_link.sent", target=subject)
    return True
