"""Staff and the API suppress or lift an address by typing it: normalised, digested and
never stored in plain text (the list keeps only the keyed digest).

Lifting is for what staff or a mail server put there (manual, bounce, complaint): an
erasure is final, and a person's own "unsubscribe from everything" is theirs to lift.
"""

from django.db import transaction

import audit
from common.crypto import email_digest as digest_of
from preferences.models import ConsentEvent, EventType, Source, Subject, Suppression
from preferences.propagation.outbox import outbox_write_many
from preferences.services import _clean_email, suppression_add

LIFTABLE = {Suppression.Reason.MANUAL, Suppression.Reason.BOUNCE, Suppression.Reason.COMPLAINT}


class NotLiftable(Exception):
    """The address is suppressed for a reason staff may not lift (erased, the person's own)."""


def suppression_by_address_add(*, email: str, reason: str = Suppression.Reason.MANUAL,
                               source: str = Source.STAFF, actor) -> bool:
    """Suppress the address (ValueError if it is not one); whether anything changed."""
    return suppression_add(email_digest=digest_of(_clean_email(email)), reason=reason,
                           source=source, actor=actor)


def suppression_by_address_lift(*, email: str, source: str = Source.STAFF, actor) -> bool:
    """Take the address off the list; False if it was not on it. Raises NotLiftable for
    an erasure or the person's own opt-out."""
    return suppression_lift(email_digest=digest_of(_clean_email(email)), source=source,
                            actor=actor)


def suppression_lift(*, email_digest: str, source: str = Source.STAFF, actor) -> bool:
    """`suppression_by_address_lift` by the keyed digest (the admin's list rows). A known
    subject gets a ConsentEvent (kind `suppressed`, new status empty) and outbox rows
    (`subject.unsuppressed`)."""
    digest = email_digest
    with transaction.atomic():
        row = Suppression.objects.select_for_update().filter(email_digest=digest).first()
        if row is None:
            return False
        if row.reason not in LIFTABLE:
            raise NotLiftable
        old = row.reason
        row.delete()
        subject = Subject.objects.filter(email_digest=digest).first()
        if subject is None:
            audit.record(actor=actor, action="suppression.lifted",
                         details={"old": old, "source": source})
            return True
        ConsentEvent.objects.create(subject=subject, kind=ConsentEvent.Kind.SUPPRESSED,
                                    old_status=old, new_status="", source=source)
        outbox_write_many([(subject, EventType.SUBJECT_UNSUPPRESSED, None,
                            {"old": old, "new": "", "source": source})])
        audit.record(actor=actor, action="consent.changed", target=subject,
                     details={"kind": "suppressed", "old": old, "new": "", "source": source})
    return True
