"""The preferences app's personal data, for the PII catalog (`anonymizer.catalog`).

Erasure keeps a Subject row as an empty tombstone named only by its opaque
`public_id` (audit events and erasure reports point at it) and removes every
way back to the person: email, digest, external id, locale, country. The keyed
digest lives on in the Suppression list so the address is never mailed again.

Outbox rows (Delivery) are deleted by retention 30 days after they were created,
once finished (delivered or failed); a pending or in-flight one stays, whatever
its age. Erasure redacts their payload and error text instead; the row itself
goes when retention reaches it.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anonymizer.catalog import Category, ForPerson, Meaning, PiiField, not_pii, register
from preferences.models import (
    ApiKey,
    Brand,
    CaptureCount,
    CaptureRule,
    ConsentEvent,
    DailyCount,
    DataExport,
    Delivery,
    Destination,
    DigestSuppression,
    Feedback,
    Import,
    ImportProblem,
    InboundEvent,
    JournaledOptOut,
    Purpose,
    PurposeConsent,
    PurposeWording,
    RightsRequest,
    Subject,
    Subscription,
    Suppression,
    Topic,
)

# How long a finished delivery is kept: far past the 48 h after which it is given
# up, long enough for staff to look into a failure and retry it.
DELIVERY_RETENTION = timedelta(days=30)
# Only finished deliveries go: one still pending or in flight is kept whatever its
# age (the outbox must not lose an event, nor reorder a subject's events).
DELIVERY_FINISHED = Q(status__in=[Delivery.Status.DELIVERED, Delivery.Status.FAILED])
# What came in by mail or webhook: the ledger that makes a retry a no-op and feeds the
# console's per-day counts; a soft bounce's digest is what the counting window reads.
INBOUND_RETENTION = timedelta(days=90)
# Feedback comments feed analytics; a year is enough to compare seasons.
FEEDBACK_RETENTION = timedelta(days=365)

register(
    Subject, subject="public_id",
    fields=[
        # Encrypted at rest; pii_audit sees ciphertext. Erasure removes it.
        PiiField("email", Category.CONTACT, erase="null", kind="EMAIL"),
        # Keyed HMAC of the address: still identifies the person while on the row;
        # the Suppression list keeps its own copy.
        PiiField("email_digest", Category.IDENTIFIER, erase="null"),
        # The company's id for the person: the way back into its systems.
        PiiField("external_id", Category.IDENTIFIER, erase="null"),
        PiiField("locale", Category.DEMOGRAPHIC, erase="null"),
        PiiField("country", Category.LOCATION, erase="null"),
    ],
    description="A person we may email. Kept after erasure as an empty row named "
                "by its opaque id; no retention while the person is a subscriber.",
    for_person=ForPerson(
        Meaning.CONTACT, _("How we reach you"),
        _("The address we write to, and what we know to write to you in your language."),
        columns=(("email", _("Email address")), ("locale", _("Language")),
                 ("country", _("Country")), ("external_id", _("Your customer number")),
                 ("unsubscribed_all", _("Unsubscribed from everything")),
                 ("created_at", _("On our list since")))),
)

register(
    Subscription, subject="subject__public_id", erase_rows=True, fields=[],
    description="A subject's choice per topic: personal by association, deleted on erasure.",
    for_person=ForPerson(
        Meaning.SUBSCRIPTIONS, _("What you receive"),
        _("Each kind of email we send, and whether you get it."),
        columns=(("topic", _("Emails")), ("status", _("You get them")),
                 ("paused_until", _("Paused until")), ("updated_at", _("Last changed")))),
)

register(
    ConsentEvent, subject="subject__public_id", erase_rows=True, fields=[],
    description="Consent history: deleted on erasure; the audit trail keeps the "
                "opaque record of each change.",
    for_person=ForPerson(
        Meaning.HISTORY, _("Your changes, and when"),
        _("Every change to your subscriptions and choices, newest first, and how it came "
          "to us."),
        columns=(("occurred_at", _("When")), ("kind", _("What")), ("topic", _("Emails")),
                 ("purpose", _("Use of your data")), ("old_status", _("Before")),
                 ("new_status", _("After")), ("source", _("How")))),
)

register(
    Delivery, subject="subject_key", timestamp="created_at", retention=DELIVERY_RETENTION,
    retention_filter=DELIVERY_FINISHED,
    fields=[
        # The payload carries the subject's external id (never the email: added
        # at send time). Redacted on erasure, not nulled: the column is NOT NULL
        # JSON. Retention deletes the whole row: a redacted dead letter could
        # otherwise be "retried" with "[REDACTED]" as its payload, and deleting is
        # much cheaper than rewriting every old row (six indexes, no HOT updates).
        PiiField("payload", Category.IDENTIFIER, erase="redact", retain="delete",
                 note="carries subject.external_id"),
        # A receiver's error text: free text we do not control.
        PiiField("last_error", Category.FREE_TEXT, erase="null", retain="delete"),
    ],
    description="An event for one destination (the outbox). `subject_key` is the "
                "opaque id and survives the subject; a finished (delivered or failed) "
                f"delivery is deleted after {DELIVERY_RETENTION.days} days, a pending "
                "one is kept.",
    for_person=ForPerson(
        Meaning.OTHER, _("Messages to our other systems"),
        _("When you change a choice, we tell the systems that send our emails, so they "
          "follow it."),
        columns=(("created_at", _("When")), ("event_type", _("About")),
                 ("status", _("Passed on")))),
)

register(
    Feedback, subject=None, timestamp="created_at", retention=FEEDBACK_RETENTION,
    fields=[
        # Two letters: coarse enough for the analytics it feeds, kept as is.
        PiiField("country", Category.LOCATION, erase=None,
                 note="not linked to a subject; coarse; feeds the analytics"),
        # Stored only after redaction, but a person typed it: dropped after a year.
        PiiField("comment", Category.FREE_TEXT, erase=None, retain="null",
                 note="stored redacted; not linked to a subject"),
    ],
    description="Why someone left. Not linked to a subject, so erasure cannot find "
                "it; retention drops the free-text comment after a year.",
)

register(
    Suppression, subject="email_digest", subject_by="email_digest",
    fields=[PiiField("email_digest", Category.IDENTIFIER, erase=None,
                     note="kept on erasure so the address is never mailed again")],
    description="Addresses that must never be mailed, as keyed digests; outlives erasure.",
    for_person=ForPerson(
        Meaning.CONTACT, _("Never to be emailed"),
        _("Your address is on the list of addresses we must never write to. We keep only "
          "a scrambled form of it, so that it stays there even after erasure."),
        columns=(("reason", _("Why")), ("created_at", _("Since")))),
)

register(
    ApiKey, subject=None,
    fields=[
        # Chosen by staff; could be a colleague's name.
        PiiField("name", Category.IDENTIFIER, erase=None, note="staff data"),
        PiiField("hashed_key", Category.CREDENTIAL, erase=None, note="a hash, not the key"),
        PiiField("id", Category.CREDENTIAL, erase=None, note="prefix and hash"),
    ],
    description="API keys of the company's mailer and apps (staff data, not subjects').",
)

register(
    Destination, subject=None,
    fields=[
        # A webhook URL can embed a token or basic-auth credentials.
        PiiField("url", Category.CREDENTIAL, erase=None, note="configuration"),
        PiiField("secret", Category.CREDENTIAL, erase=None, note="encrypted at rest"),
    ],
    description="Downstream systems and their credentials (configuration, not subjects').",
)

register(
    RightsRequest, subject="subject_public_id",
    fields=[
        # Encrypted; kept only while the request needs it (code, outcome, denial).
        PiiField("email", Category.CONTACT, erase="null", kind="EMAIL"),
        PiiField("new_email", Category.CONTACT, erase="null", kind="EMAIL"),
        PiiField("email_digest", Category.IDENTIFIER, erase="null"),
        # An authorized agent's name and declaration, and staff's free text.
        PiiField("agent_name", Category.IDENTIFIER, erase="null"),
        PiiField("agent_declaration", Category.FREE_TEXT, erase="null"),
        PiiField("denial_text", Category.FREE_TEXT, erase="null"),
        PiiField("extension_reason", Category.FREE_TEXT, erase="null"),
    ],
    description="Rights requests (the staff queue): the address only while the request "
                "needs it; an unverified one is deleted when its window ends.",
)

not_pii(PurposeWording, reason="the company's own purpose wording, kept per version: what "
                                "people were shown, nothing of a person")
not_pii(Topic, reason="the company's own topic names and descriptions")
not_pii(Brand, reason="the company's own names, colours, links and sender address")


register(
    PurposeConsent, subject="subject__public_id", erase_rows=True, fields=[],
    description="A subject's privacy choice per purpose: personal by association, deleted "
                "on erasure.",
    for_person=ForPerson(
        Meaning.CHOICES, _("Your privacy choices"),
        _("What you allowed us to do with your data, and what you did not."),
        columns=(("purpose", _("Use of your data")), ("granted", _("Allowed")),
                 ("source", _("How you told us")), ("updated_at", _("Last changed")))),
)

register(
    DataExport, subject="subject__public_id", erase_rows=True, fields=[],
    description="\"Download my data\" requests; the file itself is encrypted and deleted "
                "after download or expiry.",
    for_person=ForPerson(
        Meaning.HISTORY, _("Your copies of your data"),
        _("Each time you asked for a copy like this one."),
        columns=(("requested_at", _("Asked on")), ("status", _("Status")),
                 ("downloaded_at", _("Downloaded on")))),
)

register(
    CaptureRule, subject="subject__public_id", erase_rows=True, fields=[],
    description="Capture rules; one naming a subject (a test account) goes with it.",
    for_person=ForPerson(
        Meaning.OTHER, _("Test settings that name you"),
        columns=(("name", _("Name")), ("environment", _("Where")))),
)

not_pii(Purpose, reason="the company's own purpose names and descriptions")
not_pii(CaptureCount, reason="counters per purpose, outcome and reason; nothing of a person")

register(
    InboundEvent, subject="email_digest", subject_by="email_digest",
    timestamp="received_at", retention=INBOUND_RETENTION,
    retention_filter=Q(status=InboundEvent.Status.APPLIED),
    fields=[
        # Kept only while needed: cleared when applied, but for a soft bounce's, which the
        # counting window reads. Erasure clears it; retention deletes the row.
        PiiField("email_digest", Category.IDENTIFIER, erase="null", retain="delete",
                 note="cleared once applied, but on soft bounces"),
        PiiField("subject_public_id", Category.IDENTIFIER, erase="null",
                 note="from a signed token; cleared once applied"),
    ],
    description="Opt-outs that came in by mail or from an email provider (the ledger): no "
                "message content; an applied row is deleted after "
                f"{INBOUND_RETENTION.days} days.",
    for_person=ForPerson(
        Meaning.HISTORY, _("Replies and returned mail"),
        _("Unsubscribe replies, returned (bounced) messages and spam reports about your "
          "address, as your mail provider passed them to us."),
        columns=(("received_at", _("When")), ("kind", _("What")),
                 ("channel", _("Came by")), ("topic_slug", _("Emails")))),
)
not_pii(JournaledOptOut, reason="a random key, when it was accepted and what it did; "
                                 "no subject id, nothing of a person")
not_pii(DailyCount, reason="counters per day and name (consent checks, refused webhook "
                           "calls); nothing of a person")

register(
    Import, subject=None,
    fields=[
        # Chosen by whoever uploaded it; could name a colleague or a customer.
        PiiField("file_name", Category.IDENTIFIER, erase=None, note="staff data"),
        PiiField("file_path", Category.IDENTIFIER, erase=None,
                 note="where the file waits; an uploaded file is deleted once imported"),
    ],
    description="Imports of subjects and suppression lists: counts and a checkpoint, never "
                "the file's content; an uploaded file is deleted once imported.",
)
not_pii(ImportProblem, reason="a line number and a fixed reason code, never the row's values")
register(
    DigestSuppression, subject=None,
    fields=[PiiField("keyed_digest", Category.IDENTIFIER, erase=None,
                     note="kept like the suppression list, so the address is never mailed")],
    description="Addresses suppressed by an email provider's hash, keyed again; matched to "
                "a subject when one with that address appears.",
)
