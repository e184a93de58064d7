"""The anonymizer's own models, and Django's and third-party models, in the PII catalog."""

from datetime import timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from rest_framework_api_key.models import APIKey

from anonymizer.catalog import Category, PiiField, not_pii, register
from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.vault import TokenVaultEntry

register(
    ErasureRequest, subject="subject_public_id",
    fields=[
        # Encrypted: what verification looks for that the database no longer holds
        # (the email); emptied when verification runs (anonymizer.erasure).
        PiiField("identifiers", Category.CONTACT, erase=None,
                 note="encrypted; destroyed by the request's own verification"),
    ],
    description="The record that an erasure was asked for and done: kept, named by "
                "the opaque id only.",
)
# Erasure steps: entry keys, field names, counts and times; an error is an exception's
# type or a message of ours, never a value.
not_pii(ErasureStep, reason="entry keys, field names, counts; errors without values")

register(
    TokenVaultEntry, subject=None,
    fields=[
        # The originals behind tokens: whatever was tokenized (emails, cards, ...).
        PiiField("value", Category.IDENTIFIER, erase=None,
                 note="encrypted; reading one back needs a permission and is audited"),
        PiiField("value_digest", Category.IDENTIFIER, erase=None, note="keyed digest"),
    ],
    description="The token vault: originals of tokenized values, encrypted, not tied "
                "to a subject.",
)

register(
    get_user_model(), subject=None,
    fields=[
        # Staff accounts: the staff console manages them; subject erasure never does.
        PiiField("username", Category.IDENTIFIER, erase=None, note="staff data"),
        PiiField("email", Category.CONTACT, erase=None, kind="EMAIL", note="staff data"),
        PiiField("first_name", Category.IDENTIFIER, erase=None, kind="PERSON",
                 note="staff data"),
        PiiField("last_name", Category.IDENTIFIER, erase=None, kind="PERSON",
                 note="staff data"),
        PiiField("password", Category.CREDENTIAL, erase=None, note="a salted hash"),
    ],
    description="Staff accounts of the console.",
)

register(
    Session, subject=None, timestamp="expire_date", retention=timedelta(0),
    fields=[
        # A signed blob naming a staff user; useless and deletable once expired.
        PiiField("session_data", Category.CREDENTIAL, erase=None, retain="delete"),
        PiiField("session_key", Category.CREDENTIAL, erase=None),
    ],
    description="Staff login sessions; deleted once expired.",
)

register(
    LogEntry, subject=None, timestamp="action_time", retention=timedelta(days=365),
    fields=[
        # The admin's history repeats an object's str(): a username, a destination name.
        PiiField("object_repr", Category.FREE_TEXT, erase=None, retain="redact"),
        PiiField("change_message", Category.FREE_TEXT, erase=None, retain="redact"),
        PiiField("object_id", Category.IDENTIFIER, erase=None,
                 note="a primary key or opaque id"),
    ],
    description="Django admin's change history (staff actions); free text redacted "
                "after a year; the audit trail is the lasting record.",
)

register(
    APIKey, subject=None,
    fields=[
        PiiField("name", Category.IDENTIFIER, erase=None, note="staff data"),
        PiiField("hashed_key", Category.CREDENTIAL, erase=None, note="a hash"),
        PiiField("id", Category.CREDENTIAL, erase=None, note="prefix and hash"),
    ],
    description="The stock API key table of djangorestframework-api-key (Hush uses "
                "its own ApiKey); catalogued because it exists.",
)

not_pii(Group, reason="staff role names")
not_pii(Permission, reason="permission names from the code")
not_pii(ContentType, reason="app and model names")

from anonymizer.models import PiiAuditRun  # noqa: E402

not_pii(PiiAuditRun, reason="table, column and kind names with counts; never a value")
