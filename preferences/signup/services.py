"""Double opt-in: what a sign-up does, the confirmation mail, the click that makes
pending subscriptions real, and the purge of sign-ups never confirmed."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

import audit
from common.crypto import email_digest
from preferences.branding.mail import branded_mail, language_of
from preferences.branding.selectors import brand_of_topics
from preferences.email import SIGNUP, mail_allowed, mail_send, mail_send_message, preferences_url
from preferences.erased import SubjectErased
from preferences.models import ConsentEvent, Source, Subject, Subscription, Topic
from preferences.services import NotFound, subject_upsert, subscription_set
from preferences.tokens import make_confirmation_token

Status = Subscription.Status


def signup_receive(*, email: str, topics: list[str], locale: str | None) -> str:
    """A sign-up from the public form, carried out after the page answered (a task), so
    the answer and its timing are the same whatever the address.

    An anonymous form cannot change a person: for a known address nothing changes and,
    at most once per HUSH_SIGNUP_NOTE_PERIOD, a mail lets them act themselves (their
    pending confirmation again, or a link to their preference page). A suppressed
    address is never mailed. Only a new address becomes a pending subject, confirmed
    from the link mailed to it. Returns what happened, for the log and tests.
    """
    if not mail_allowed(email, kind=SIGNUP):
        return "suppressed"
    digest = email_digest(email)
    subject = Subject.objects.filter(email_digest=digest).first()
    if subject is None:
        try:
            subject_upsert(actor=audit.SYSTEM, source=Source.SIGNUP, email=email,
                           locale=locale, subscriptions=dict.fromkeys(topics, True),
                           double_opt_in=True)
        except (ValueError, NotFound):  # an address invalid once normalised; a topic gone
            return "invalid"
        return "pending"
    if not cache.add(f"hush:signup-note:{digest}", 1,
                     timeout=settings.HUSH_SIGNUP_NOTE_PERIOD):
        return "already_noted"
    if subject.pending_since is not None:  # their own sign-up, not confirmed yet
        pending = subject.subscriptions.filter(status=Status.PENDING)
        confirmation_send(subject_id=str(subject.public_id),
                          topics=sorted(pending.values_list("topic__slug", flat=True)))
        return "reminded"
    _known_note_send(subject, topics)
    return "noted"


def _known_note_send(subject: Subject, topics: list[str]) -> None:
    language = subject.locale if subject.locale in dict(settings.LANGUAGES) else "en"
    names = list(Topic.objects.filter(slug__in=topics).values_list("name", flat=True))
    with translation.override(language):
        body = render_to_string("preferences/email/signup_known.txt", {
            "topics": names, "url": preferences_url(subject),
            "days": max(1, settings.HUSH_PREFERENCE_LINK_MAX_AGE // 86400)})
        title = render_to_string("preferences/email/signup_known_subject.txt").strip()
    if mail_send(to=subject.email, title=title, body=body, kind=SIGNUP):
        audit.record(actor=audit.SYSTEM, action="signup.noted", target=subject)

def confirmation_send(*, subject_id: str, topics: list[str]) -> bool:
    """Email the signed, expiring confirmation link (the task's body)."""
    subject = Subject.objects.filter(public_id=subject_id).first()
    if subject is None or not subject.email or subject.erased_at is not None:
        return False
    token = make_confirmation_token(subject=subject, topics=topics)
    brand = brand_of_topics(Topic.objects.filter(slug__in=topics).select_related("brand"))
    message = branded_mail(template="confirm", brand=brand, language=language_of(subject),
                           to=subject.email, context={
                               "url": settings.HUSH_BASE_URL
                               + reverse("preferences:confirm", args=[token]),
                               "days": max(1, settings.HUSH_DOI_EXPIRY // 86400)})
    if not mail_send_message(message, kind=SIGNUP):
        return False  # suppressed: never mailed
    audit.record(actor=audit.SYSTEM, action="confirmation.sent", target=subject)
    return True


def subject_confirm(*, subject: Subject, topics: list[str]) -> list[str]:
    """The subject clicked the link: their pending subscriptions become real, each
    change a ConsentEvent with source `confirmation`. Returns the topics confirmed."""
    confirmed = []
    with transaction.atomic():
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        if subject.erased_at is not None:
            raise SubjectErased
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
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.HUSH_DOI_EXPIRY)
    subjects = 0
    for subject in Subject.objects.filter(pending_since__lt=cutoff).only("pk", "public_id"):
        with transaction.atomic():
            if Subject.objects.filter(pk=subject.pk, pending_since__lt=cutoff).exists():
                audit.record(actor=audit.SYSTEM, action="subject.purged_unconfirmed",
                             target=subject)
                with ConsentEvent.deletion_allowed():  # its history goes with it
                    Subject.objects.filter(pk=subject.pk).delete()
                subjects += 1
    stale = Subscription.objects.filter(status=Status.PENDING, updated_at__lt=cutoff)
    subscriptions, _ = stale.delete()
    return {"subjects": subjects, "subscriptions": subscriptions}
