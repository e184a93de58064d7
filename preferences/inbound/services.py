"""The one service behind every way in: record each signal once, then apply it.

`signals_record` writes the signals into the `InboundEvent` ledger (a key seen before
is a retry: skipped) and, in the same transaction, applies them through the services
every opt-out uses: the one-click service for a mailto token, `subject_unsubscribe_all`
or `subscription_set` for a provider's unsubscribe, `suppression_add` for complaints
and bounces. Each change is therefore a ConsentEvent (or a suppression by digest),
an audit event and outbox rows, committed together. A caller acknowledges (250, exit
0, HTTP 200) only after this returned; if it raised, nothing was recorded and the
sender must retry (4xx, exit 75).

Complaints and hard bounces are applied set-based (a batch of 1,000 in a few
statements), always before the answer. Events applied one by one (unsubscribes, soft
bounces) are too, up to HUSH_INBOUND_INLINE_MAX; past it they are recorded, answered,
and applied by workers in chunks after commit (and by the sweeper if a queued message
is lost), so the provider gets its answer quickly and nothing recorded is dropped.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.crypto import email_digest
from common.tasks import task_send_on_commit
from preferences.erased import SubjectErased
from preferences.inbound import counters
from preferences.inbound.mail import read_message
from preferences.inbound.signals import Kind, Signal
from preferences.models import InboundEvent, Source, Subject, Suppression, Topic
from preferences.services import (
    NotFound,
    subject_unsubscribe_all,
    subscription_set,
    subscription_unsubscribe_by_token,
    suppression_add,
    suppressions_add,
)
from preferences.tokens import BadToken, read_unsubscribe_token

APPLY_TASK = "preferences.inbound_events_apply"
CHUNK = 100
Status = InboundEvent.Status


@dataclass(frozen=True)
class Recorded:
    new: int = 0
    duplicate: int = 0
    ignored: int = 0
    applied: int = 0


def event_key(key: str) -> str:
    """A keyed digest of an origin's id: a Message-ID can name a host or a person."""
    return hmac.new(settings.HUSH_DIGEST_KEY.encode(), b"hush.inbound:" + key.encode(),
                    hashlib.sha256).hexdigest()


def _row(channel: str, signal: Signal, now) -> InboundEvent:
    subject_id, topic = None, signal.topic[:64]
    for token in signal.tokens:
        try:
            claim = read_unsubscribe_token(token)
        except BadToken:
            continue
        subject_id, topic = claim.subject_id, claim.topic_slug
        break
    return InboundEvent(key=event_key(signal.key), channel=channel, kind=signal.kind,
                        email_digest=email_digest(signal.address) if signal.address else "",
                        subject_public_id=subject_id, topic_slug=topic, received_at=now)


def signals_record(*, channel: str, signals: list[Signal]) -> Recorded:
    """Record and apply; raises (a DatabaseError) when it could not record."""
    if channel not in InboundEvent.Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    now = timezone.now()
    ignored = sum(1 for s in signals if s.kind == Kind.IGNORED)
    rows = {}
    for signal in signals:
        if signal.kind == Kind.IGNORED:
            continue
        row = _row(channel, signal, now)
        if _actionable(row):
            rows.setdefault(row.key, row)
        else:
            ignored += 1
    with transaction.atomic():
        counters.daily_count_add(name=counters.ignored_name(channel), amount=ignored)
        if not rows:
            return Recorded(ignored=ignored)
        seen = set(InboundEvent.objects.filter(key__in=list(rows)).values_list("key", flat=True))
        fresh = [row for key, row in rows.items() if key not in seen]
        # Suppressions are applied set-based, so at once whatever their number; events
        # applied one by one (unsubscribes, soft bounces) wait for workers past the limit.
        one_by_one = [e for e in fresh if e.kind not in _SUPPRESSING]
        now_applied = fresh if len(one_by_one) <= settings.HUSH_INBOUND_INLINE_MAX \
            else [e for e in fresh if e.kind in _SUPPRESSING]
        inline = {e.key for e in now_applied}
        # What is applied now is written as applied (one INSERT, no UPDATE after). A key
        # another transaction wrote since the SELECT makes this INSERT fail: nothing is
        # recorded, the caller answers "retry", and the retry finds the key.
        ids = _ledger_insert(fresh, applied=inline, now=now)
        for event in fresh:
            event.pk = ids[event.key]
        _apply_all(now_applied, written_applied=True)
        applied = len(now_applied)
        if applied < len(fresh):
            _queue([e.pk for e in one_by_one])
    return Recorded(new=len(fresh), duplicate=len(rows) - len(fresh), ignored=ignored,
                    applied=applied)


_LEDGER_COLUMNS = ("key", "channel", "kind", "reason", "status", "email_digest",
                   "subject_public_id", "topic_slug", "changed", "received_at", "applied_at")


def _ledger_insert(events: list[InboundEvent], *, applied: set[str], now) -> dict[str, int]:
    """One INSERT for the batch's ledger rows; their ids by key. An event applied in this
    transaction (its key in `applied`) is written as it stays: applied, without the
    address's digest (but a soft bounce's) or the token's subject. Plain SQL: building a
    model instance per row costs more than the whole INSERT."""
    if not events:
        return {}
    table = InboundEvent._meta.db_table
    uuid_field = InboundEvent._meta.get_field("subject_public_id")
    stamp = connection.ops.adapt_datetimefield_value
    values, params = [], []
    for e in events:
        done = e.key in applied
        keep = not done or e.kind == Kind.SOFT_BOUNCE
        params += [e.key, e.channel, e.kind, e.reason,
                   Status.APPLIED if done else Status.PENDING,
                   e.email_digest if keep else "",
                   None if done else uuid_field.get_db_prep_value(e.subject_public_id,
                                                                  connection),
                   e.topic_slug, False if done else None, stamp(e.received_at),
                   stamp(now) if done else None]
        values.append("(" + ", ".join(["%s"] * len(_LEDGER_COLUMNS)) + ")")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(_LEDGER_COLUMNS)}) "  # noqa: S608
                       f"VALUES {', '.join(values)} RETURNING id, key", params)
        return {key: pk for pk, key in cursor.fetchall()}


def _actionable(row: InboundEvent) -> bool:
    """A signal names someone: a valid token, or an address (a mailto needs the token)."""
    if row.kind == Kind.MAILTO:
        return row.subject_public_id is not None
    return row.subject_public_id is not None or bool(row.email_digest)


def _queue(ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        task_send_on_commit(APPLY_TASK, ids=ids[start:start + CHUNK])


def inbound_events_apply(*, ids: list[int]) -> int:
    """Apply recorded events still pending (a worker's share of a batch); idempotent."""
    with transaction.atomic():
        events = list(InboundEvent.objects.select_for_update(skip_locked=True)
                      .filter(pk__in=ids, status=Status.PENDING).order_by("id"))
        _apply_all(events)
    return len(events)


def inbound_events_sweep() -> int:
    """Queue again what was recorded but not applied a while later (a lost message)."""
    before = timezone.now() - timedelta(seconds=settings.HUSH_INBOUND_REQUEUE_AFTER)
    ids = list(InboundEvent.objects.filter(status=Status.PENDING, received_at__lt=before)
               .order_by("id").values_list("id", flat=True)[:10 * CHUNK])
    with transaction.atomic():
        _queue(ids)
    return len(ids)


def _actor(event: InboundEvent):
    return ("system", f"inbound.{event.channel}")


# Complaints and hard bounces of a batch are applied together (`suppressions_add`): one
# statement per kind of row however many there are, so a provider's batch of 1,000 is
# "not allowed" at the consent check within a fraction of a second.
_SUPPRESSING = {Kind.COMPLAINT: (Suppression.Reason.COMPLAINT, Source.COMPLAINT),
                Kind.HARD_BOUNCE: (Suppression.Reason.BOUNCE, Source.BOUNCE)}


def _apply_all(events: list[InboundEvent], *, written_applied: bool = False) -> None:
    """Apply each event (in the caller's transaction) and mark it applied (if its row was
    written as applied already by `_ledger_insert`, only which ones changed something)."""
    groups: dict[tuple, list[InboundEvent]] = {}
    for event in events:
        if event.kind in _SUPPRESSING:
            groups.setdefault((event.kind, event.channel), []).append(event)
        else:
            try:
                event.changed = _APPLY[event.kind](event)
            except SubjectErased:  # erased since the mail was sent: nothing is written
                event.changed = False
    digests = _digests([e for group in groups.values() for e in group])
    for (kind, channel), group in groups.items():
        reason, source = _SUPPRESSING[kind]
        changed = suppressions_add(email_digests=[digests[e.pk] for e in group], reason=reason,
                                   source=source, actor=("system", f"inbound.{channel}"))
        for event in group:  # of several events for one address, the first changed it
            event.changed = digests[event.pk] in changed
            changed.discard(digests[event.pk])
    rows = InboundEvent.objects
    if written_applied:
        changed = [e.pk for e in events if e.changed]
        if changed:
            rows.filter(pk__in=changed).update(changed=True)
        return
    # Marked in three set-based UPDATEs (bulk_update's CASE per row costs more in Python
    # than the whole batch's changes).
    now = timezone.now()
    for changed in (True, False):
        ids = [e.pk for e in events if bool(e.changed) is changed]
        if ids:
            rows.filter(pk__in=ids).update(status=Status.APPLIED, applied_at=now,
                                           changed=changed, subject_public_id=None)
    # Only a soft bounce's address is needed later (its counting window).
    rows.filter(pk__in=[e.pk for e in events if e.kind != Kind.SOFT_BOUNCE]) \
        .exclude(email_digest="").update(email_digest="")


def _digests(events: list[InboundEvent]) -> dict[int, str]:
    """Each event's address digest: its subject's when a token named one, else its own."""
    named = {e.subject_public_id for e in events if e.subject_public_id is not None}
    by_id = dict(Subject.objects.filter(public_id__in=named).exclude(email_digest=None)
                 .exclude(email_digest="").values_list("public_id", "email_digest")) \
        if named else {}
    return {e.pk: by_id.get(e.subject_public_id) or e.email_digest for e in events}


def _subject(event: InboundEvent) -> Subject | None:
    if event.subject_public_id is not None:
        subject = Subject.objects.filter(public_id=event.subject_public_id).first()
        if subject is not None and subject.email_digest:
            return subject
    if event.email_digest:
        return Subject.objects.filter(email_digest=event.email_digest).first()
    return None


def _digest(event: InboundEvent) -> str:
    subject = _subject(event)
    return subject.email_digest if subject is not None else event.email_digest


def _mailto(event: InboundEvent) -> bool:
    try:
        _, changed = subscription_unsubscribe_by_token(
            subject_id=event.subject_public_id, topic_slug=event.topic_slug,
            source=Source.MAILTO)
    except NotFound:  # erased since the mail was sent, or the topic is gone
        return False
    return changed


def _unsubscribe_all(event: InboundEvent, *, source: str, actor=None) -> bool:
    subject = _subject(event)
    if subject is not None:
        return subject_unsubscribe_all(subject=subject, source=source, actor=actor or subject)
    if not event.email_digest:
        return False
    return suppression_add(email_digest=event.email_digest,
                           reason=Suppression.Reason.UNSUBSCRIBED_ALL, source=source,
                           actor=actor or _actor(event))


def _sender(event: InboundEvent) -> bool:
    return _unsubscribe_all(event, source=Source.MAILTO)


def _esp_unsubscribe(event: InboundEvent) -> bool:
    """A provider's unsubscribe: from the topic the sender tagged the mail with, if it
    names one of ours and the subject is known; otherwise from everything."""
    subject = _subject(event)
    topic = Topic.objects.filter(slug=event.topic_slug).first() if event.topic_slug else None
    if subject is not None and topic is not None:
        return subscription_set(subject=subject, topic=topic, status="unsubscribed",
                                source=Source.ESP_UNSUBSCRIBE, actor=_actor(event))
    return _unsubscribe_all(event, source=Source.ESP_UNSUBSCRIBE, actor=_actor(event))


def _suppress(event: InboundEvent, *, reason: str, source: str) -> bool:
    digest = _digest(event)
    if not digest:
        return False
    return suppression_add(email_digest=digest, reason=reason, source=source,
                           actor=_actor(event))


def _soft_bounce(event: InboundEvent) -> bool:
    """Counted; the limit-th within the window suppresses like a hard bounce."""
    digest = _digest(event)
    if not digest:
        return False
    event.email_digest = digest
    event.save(update_fields=["email_digest"])
    since = timezone.now() - timedelta(seconds=settings.HUSH_SOFT_BOUNCE_WINDOW)
    count = InboundEvent.objects.filter(kind=Kind.SOFT_BOUNCE, email_digest=digest,
                                        received_at__gte=since).count()
    if count < settings.HUSH_SOFT_BOUNCE_LIMIT:
        return False
    return _suppress(event, reason=Suppression.Reason.BOUNCE, source=Source.BOUNCE)


_APPLY = {
    Kind.MAILTO: _mailto,
    Kind.SENDER: _sender,
    Kind.ESP_UNSUBSCRIBE: _esp_unsubscribe,
    Kind.SOFT_BOUNCE: _soft_bounce,
}


def message_record(*, raw: bytes, channel: str, recipients=()) -> Recorded:
    """One RFC 5322 message from the pipe, the listener or the mailbox: read, record,
    apply. Raises when it could not record (the MTA must retry)."""
    if len(raw) > settings.HUSH_INBOUND_MAX_BYTES:
        signals = [Signal(key="too-large", kind=Kind.IGNORED, reason="too_large")]
    else:
        signals = read_message(raw, recipients=recipients,
                               act_on_sender=settings.HUSH_INBOUND_ACT_ON_SENDER,
                               authserv_id=settings.HUSH_INBOUND_AUTHSERV_ID)
    return signals_record(channel=channel, signals=signals)


def accepted_address(address: str) -> bool:
    """Whether the listener takes mail for `address` at RCPT: the mailto address or a
    bounce address, or either with a +tag (a token, a VERP tag)."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    base = local.strip('"').split("+", 1)[0].lower()
    for configured in [settings.HUSH_UNSUBSCRIBE_MAILTO, *settings.HUSH_INBOUND_BOUNCE_ADDRESSES]:
        want_local, _, want_domain = configured.rpartition("@")
        if configured and base == want_local.lower() and domain.lower() == want_domain.lower():
            return True
    return False


def accepted_addresses() -> list[str]:
    return [a for a in [settings.HUSH_UNSUBSCRIBE_MAILTO, *settings.HUSH_INBOUND_BOUNCE_ADDRESSES]
            if a]
