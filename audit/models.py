from django.db import models


class AuditQuerySet(models.QuerySet):
    """The ORM cannot change or remove audit events: they are evidence."""

    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")

    def bulk_update(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """One thing that happened, appended and never changed.

    Rows are inserted unsealed (seq and hash empty) so a busy endpoint never waits
    for the chain; the sealer then numbers them in insertion order and chains each
    hash over the previous one. Details must not hold personal data: subjects are
    named by their opaque id.
    """

    class ActorType(models.TextChoices):
        SYSTEM = "system"
        USER = "user"
        API_KEY = "api_key"
        SUBJECT = "subject"

    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True)
    seq = models.BigIntegerField(null=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["actor_type", "actor_id"]),
            models.Index(fields=["target_type", "target_id"]),
            # The sealer's work list: unsealed rows in insertion order.
            models.Index(fields=["id"], name="audit_unsealed", condition=models.Q(seq=None)),
        ]

    def __str__(self):
        return f"#{self.seq or '-'} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class ChainHead(models.Model):
    """The last sealed event: one row, locked while sealing so the chain never forks."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_chain_head")]

    def __str__(self):
        return f"chain head at {self.last_seq}"
