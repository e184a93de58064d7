"""The audit app in the PII catalog.

The audit trail is append-only evidence: it is catalogued with no erasable field
so erasure leaves it alone and `pii_audit` still samples it (its details must
carry opaque ids only, and anything detected there is reported).
"""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from anonymizer.catalog import Category, PiiField, not_pii, register
from audit.models import AuditEvent, ChainHead, PrivacyRelease

register(
    AuditEvent, subject=None, fields=[],
    description="Append-only, hash-chained record of what happened; names subjects, "
                "keys and staff by opaque id only, so it outlives erasure.",
)

not_pii(ChainHead, reason="the last sequence number and hash of the audit chain")

# --- the staff console's sign-in: second factors and throttling -----------------------

STAFF_LOGIN_RECORDS = timedelta(days=30)

for device in (TOTPDevice, StaticDevice):
    register(
        device, subject=None,
        fields=[
            PiiField("name", Category.IDENTIFIER, erase=None, note="staff data"),
            *([PiiField("key", Category.CREDENTIAL, erase=None,
                        note="the TOTP secret; staff data")] if device is TOTPDevice else []),
        ],
        description="A staff user's second factor (django-otp).",
    )
register(
    StaticToken, subject=None,
    fields=[PiiField("token", Category.CREDENTIAL, erase=None, note="a backup code")],
    description="A staff user's one-time backup codes (django-otp).",
)

# django-axes keeps who tried to sign in, from where: useful against an attack in
# progress, not worth keeping past a month.
for attempts in (AccessAttempt, AccessLog, AccessFailureLog):
    register(
        attempts, subject=None, timestamp="attempt_time", retention=STAFF_LOGIN_RECORDS,
        fields=[
            PiiField("ip_address", Category.NETWORK, erase=None, retain="delete",
                     kind="IP_ADDRESS"),
            PiiField("user_agent", Category.NETWORK, erase=None, retain="delete"),
            PiiField("username", Category.IDENTIFIER, erase=None, retain="delete"),
            *([PiiField("get_data", Category.FREE_TEXT, erase=None, retain="delete"),
               PiiField("post_data", Category.FREE_TEXT, erase=None, retain="delete")]
              if attempts is AccessAttempt else []),
        ],
        description="Sign-in attempts on the staff console (django-axes); deleted after "
                    f"{STAFF_LOGIN_RECORDS.days} days.",
    )

not_pii(PrivacyRelease, reason="epsilon spent, noisy counts over public categories, "
                               "and a staff user's pk")
