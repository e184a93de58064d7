"""Double opt-in: the confirmation mail, the click that makes pending subscriptions
real, and the purge of sign-ups never confirmed."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

import audit
from preferences.branding.mail import branded_mail, language_of
from preferences.branding.selectors import brand_of_topics
from preferences.models import ConsentEvent, Source, Subject, Subscription, Topic
from preferences.services import subscription_set
from preferences.tokens import make_confirmation_token

Status = Subscription.Status

def confirmation_send(*, subject_id: str, topics: list[str]) -> bool:
    """Email the signed, expiring confirmation link (the task's body)."""
    subject = Subject.objects.filter(public_id=subject_id).first()
    if subject is None or not subject.email:
        return False
    token = make_confirmation_token(subject=subject, topics=topics)
    brand = brand_of_topics(Topic.objects.filter(slug__in=topics).select_related("brand"))
    branded_mail(template="confirm", brand=brand, language=language_of(subject),
                 to=subject.email, context={
                     "url": settings.HUSH_BASE_URL + reverse("preferences:confirm", args=[token]),
                     "days": max(1, settings.HUSH_DOI_EXPIRY // 86400)}).send()
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
