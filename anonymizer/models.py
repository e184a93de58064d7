from django.db import models
from django.utils import timezone

from anonymizer.vault import TokenVaultEntry  # noqa: F401  (a model: registered here)


class ErasureRequest(models.Model):
    """A subject's request to be erased. Recorded here; the erasure job executes it.

    Keeps the subject's opaque id (not a foreign key) so the request and its
    report survive the subject's deletion.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    subject_public_id = models.UUIDField(db_index=True)
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"erasure {self.pk} ({self.status})"

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
