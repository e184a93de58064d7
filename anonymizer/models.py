import uuid

from django.db import models
from django.utils import timezone

from anonymizer.vault import TokenVaultEntry  # noqa: F401  (a model: registered here)
from common.fields import EncryptedTextField


class ErasureRequest(models.Model):
    """A subject's request to be erased, and the record of how it was carried out.

    Keeps the subject's opaque id (not a foreign key) so the request and its
    report survive the subject's erasure. `identifiers` holds, encrypted, what the
    verification pass looks for that the database will no longer know (the email
    above all); it is destroyed once verification has run.
    """

    class Status(models.TextChoices):
        AWAITING_REVIEW = "awaiting_review"  # verified; a privacy officer decides
        DENIED = "denied"  # a privacy officer said no: nothing was erased
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Source(models.TextChoices):
        PREFERENCE_CENTER = "preference_center"
        PRIVACY_REQUEST = "privacy_request"
        API = "api"
        STAFF = "staff"

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                           help_text="The request's id outside Hush (the API's).")
    subject_public_id = models.UUIDField(db_index=True)
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by_type = models.CharField(
        max_length=16, blank=True, help_text="subject, api_key, user or system")
    requested_by_id = models.CharField(
        max_length=64, blank=True,
        help_text="The subject's opaque id, the API key's prefix or the staff user's id.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    identifiers = EncryptedTextField(null=True, blank=True,
                                     help_text="JSON, encrypted; destroyed after verification.")
    verified_at = models.DateTimeField(null=True, blank=True)
    verification = models.JSONField(null=True, blank=True,
                                    help_text="Where identifiers were still found (no values).")

    class Meta:
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self):
        return f"erasure {self.pk} ({self.status})"

    @property
    def audit_id(self):
        return str(self.pk)


class ErasureStep(models.Model):
    """One place to erase for one request: a catalog entry, or a destination told
    `subject.erased`. Runs in its own transaction; records what it changed.

    Steps run phase by phase: destinations and most entries first, the outbox
    (which carries the `subject.erased` events) once they are sent, the subject
    row itself last.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    request = models.ForeignKey(ErasureRequest, on_delete=models.CASCADE, related_name="steps")
    target = models.CharField(max_length=200,
                              help_text="A catalog entry's key, or destination:<id>.")
    phase = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    delivery_id = models.BigIntegerField(
        null=True, blank=True, help_text="The subject.erased outbox row, for a destination.")
    last_error = models.CharField(
        max_length=300, blank=True,
        help_text="The exception's type and a message without personal data.")
    rows_affected = models.PositiveIntegerField(default=0)
    fields_changed = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "target"],
                                               name="one_step_per_target")]
        indexes = [models.Index(fields=["next_attempt_at"], name="erasure_step_due",
                                condition=models.Q(status="pending"))]

    def __str__(self):
        return f"{self.target} ({self.status})"

    @property
    def audit_id(self):
        return str(self.pk)


# --- PII catalog: pii_audit runs ----------------------------------------------------

class PiiAuditRun(models.Model):
    """One `manage.py pii_audit`: which databases were sampled and what was found.

    Findings name databases, tables, columns, detection kinds and counts, never a
    value, so a run can be shown to any staff role in the console.
    """

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    databases = models.JSONField(default=list)
    sample_size = models.PositiveIntegerField()
    columns_sampled = models.PositiveIntegerField(default=0)
    # [{"problem": "uncovered"|"retention"|"erasure", "database", "table", "column", ...}]
    findings = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"pii audit {self.pk} ({len(self.findings)} findings)"

    @property
    def audit_id(self):
        return str(self.pk)
