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
