"""Undo for the last change on the preference center: what the change replaced is kept
in the visitor's session (topic states, privacy choices, "unsubscribe from all"), for
UNDO_SECONDS, and one click puts it back through the same services."""

import time
from datetime import datetime

from django.utils import timezone

from preferences import services
from preferences.models import Purpose, Source, Subscription, Topic
from preferences.privacy import selectors as privacy_selectors
from preferences.privacy import services as privacy_services

UNDO_SECONDS = 30 * 60
Status = Subscription.Status


def _key(subject) -> str:
    return f"hush.center.undo.{subject.public_id.hex}"


def snapshot(subject) -> dict:
    """What may change: every topic's state and frequency, every privacy choice, and the
    global opt-out. Taken before a change; compared after it."""
    now = timezone.now()
    topics = {}
    for sub in subject.subscriptions.select_related("topic"):
        status = sub.effective_status(now)
        topics[sub.topic.slug] = [status, sub.paused_until.isoformat()
                                  if status == Status.PAUSED else None, sub.frequency]
    purposes = {row["purpose"].slug: row["granted"]
                for row in privacy_selectors.purpose_states(subject)}
    subject.refresh_from_db(fields=["unsubscribed_all"])
    return {"topics": topics, "purposes": purposes, "all": subject.unsubscribed_all}


def remember(request, subject, before: dict, section: str) -> bool:
    """Keep what changed since `before` (only that) for undo; False if nothing changed."""
    after = snapshot(subject)
    changed = {
        "topics": {slug: state for slug, state in before["topics"].items()
                   if after["topics"].get(slug) != state},
        "new_topics": [slug for slug in after["topics"] if slug not in before["topics"]],
        "purposes": {slug: on for slug, on in before["purposes"].items()
                     if after["purposes"].get(slug) != on},
        "all": before["all"] if before["all"] != after["all"] else None,
    }
    if not (changed["topics"] or changed["new_topics"] or changed["purposes"]
            or changed["all"] is not None):
        return False
    request.session[_key(subject)] = {"at": time.time(), "section": section, **changed}
    return True


def pending(request, subject) -> dict | None:
    kept = request.session.get(_key(subject))
    if not kept or time.time() - kept.get("at", 0) > UNDO_SECONDS:
        return None
    return kept


def forget(request, subject) -> None:
    request.session.pop(_key(subject), None)


def undo(request, subject) -> str | None:
    """Put back what the last change replaced; the section it was in, or None."""
    kept = pending(request, subject)
    if kept is None:
        return None
    source, now = Source.PREFERENCE_CENTER, timezone.now()
    topics = {t.slug: t for t in Topic.objects.filter(
        slug__in=[*kept["topics"], *kept["new_topics"]])}
    for slug, (status, paused_until, frequency) in kept["topics"].items():
        topic = topics.get(slug)
        if topic is None:
            continue
        until = datetime.fromisoformat(paused_until) if paused_until else None
        if status == Status.PAUSED and (until is None or until <= now):
            status, until = Status.SUBSCRIBED, None  # the pause ran out meanwhile
        if status != Status.PENDING:  # a confirmation is never faked
            services.subscription_set(subject=subject, topic=topic, status=status,
                                      paused_until=until, source=source, actor=subject)
        services.subscription_frequency_set(subject=subject, topic=topic, frequency=frequency,
                                            actor=subject)
    for slug in kept["new_topics"]:
        if slug in topics:
            services.subscription_set(subject=subject, topic=topics[slug],
                                      status=Status.UNSUBSCRIBED, source=source, actor=subject)
    for purpose in Purpose.objects.filter(slug__in=list(kept["purposes"])):
        privacy_services.purpose_set(subject=subject, purpose=purpose,
                                     granted=kept["purposes"][purpose.slug], source=source,
                                     actor=subject)
    if kept["all"] is True:
        services.subject_unsubscribe_all(subject=subject, source=source, actor=subject)
    elif kept["all"] is False:
        services.subject_resubscribe_all(subject=subject, source=source, actor=subject)
    forget(request, subject)
    return kept["section"]
