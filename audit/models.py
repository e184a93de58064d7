import pgtrigger
from django.db import models

from common.triggers import append_only


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

    Append-only twice over: the ORM refuses updates and deletes (`AuditQuerySet`, `save`,
    `delete`), and on PostgreSQL the triggers in `Meta.triggers` refuse UPDATE, DELETE
    and TRUNCATE, but for the sealer's stamp on an unsealed row.
    """

    class ActorType(models.TextChoices):
        SYSTEM = "system"
        USER = "user"
        API_KEY = "api_key"
        SUBJECT = "subject"

    occurred_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict, blank=True)
    seq = models.BigIntegerField(null=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        indexes = [
            # The console's filters, each ending in the trail's order (newest first), so a
            # filtered page is one index range read however long the trail grows.
            models.Index(fields=["actor_type", "actor_id", "occurred_at", "id"],
                         name="audit_actor_time"),
            models.Index(fields=["target_type", "target_id", "occurred_at", "id"],
                         name="audit_target_time"),
            models.Index(fields=["action", "occurred_at", "id"], name="audit_action_time"),
            models.Index(fields=["occurred_at", "id"], name="audit_time"),
            # The sealer's work list: unsealed rows in insertion order.
            models.Index(fields=["id"], name="audit_unsealed", condition=models.Q(seq=None)),
        ]
        triggers = [
            # The one update allowed: an unsealed row gets its seq and hashes, nothing else.
            append_only(
                name="audit_event_no_update", operation=pgtrigger.Update, what="audit events",
                condition=pgtrigger.Condition(
                    "NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL) OR "
                    "(OLD.id, OLD.occurred_at, OLD.actor_type, OLD.actor_id, OLD.action, "
                    "OLD.target_type, OLD.target_id, OLD.details) IS DISTINCT FROM "
                    "(NEW.id, NEW.occurred_at, NEW.actor_type, NEW.actor_id, NEW.action, "
                    "NEW.target_type, NEW.target_id, NEW.details)")),
            append_only(name="audit_event_no_delete", operation=pgtrigger.Delete,
                        what="audit events"),
            append_only(name="audit_event_no_truncate", operation=pgtrigger.Truncate,
                        what="audit events"),
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


class Console(models.Model):
    """Holds the staff console's permissions; no table. Roles (groups) are sets of these."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_overview", "See the console overview"),
            ("view_audit_trail", "Read the audit trail"),
            ("export_audit_trail", "Export the audit trail as CSV"),
            ("verify_chain", "Verify the audit chain"),
            ("view_deliveries", "See destinations and deliveries"),
            ("manage_deliveries", "Retry deliveries, pause and resume destinations"),
            ("lookup_subject", "Find one subject by exact email; see masked data"),
            ("send_preference_link", "Send a subject a fresh preference link"),
            ("view_analytics", "See differentially private feedback analytics"),
            ("release_analytics", "Spend privacy budget on a new analytics release"),
            ("view_feedback_comments", "Read redacted feedback comments"),
            ("view_erasures", "See erasure requests and their reports"),
            ("manage_erasures", "Retry failed erasure steps"),
            ("view_pii_catalog", "See the PII catalog and the latest PII audit"),
            ("view_mail_feedback", "See mail feedback: bounces, complaints, the complaint rate"),
            ("view_requests", "See the rights requests queue and its deadlines"),
            ("decide_requests", "Approve, deny or extend rights requests"),
            ("manage_imports", "Import subjects and suppression lists; read their reports"),
            ("export_consent", "Download everyone's current consent, by opaque id"),
            ("export_consent_emails", "Download the consent export with email addresses"),
            ("manage_suppressions", "Suppress or unsuppress an address by typing it"),
            ("manage_brands", "Set brands: names, logos, colours, footers and senders"),
        ]

    def __str__(self):
        return "staff console"


class PrivacyRelease(models.Model):
    """One differentially private release of feedback counts: the privacy-budget ledger.

    Each row records the epsilon it spent in its period; a release that would take the
    period past its budget is refused. The noisy counts are kept, so reloading the page
    shows this release again instead of spending more budget.
    """

    period_start = models.DateTimeField()
    released_at = models.DateTimeField()
    released_by = models.CharField(max_length=64, help_text="Staff user pk.")
    epsilon = models.FloatField(help_text="Spent by this release (all its tables together).")
    delta = models.FloatField(null=True, help_text="Odds that the partition selection shows "
                              "a category nobody is in (none: a release from before it).")
    scale = models.FloatField(help_text="Discrete Laplace scale of the noise on each count.")
    threshold = models.PositiveIntegerField(null=True, help_text="Noisy counts under this are "
                                            "not shown (calibrated to scale and delta).")
    interval = models.FloatField(null=True, help_text="Half-width of each count's interval.")
    confidence = models.FloatField(null=True, help_text="... at this confidence (0.95).")
    min_cell = models.PositiveIntegerField()
    window_start = models.DateTimeField(help_text="Feedback counted from here ...")
    window_end = models.DateTimeField(help_text="... to here.")
    last_feedback_id = models.BigIntegerField(default=0,
                                              help_text="Newest feedback the release saw.")
    tables = models.JSONField(help_text="{table: [[label, noisy count or null], ...]}")

    class Meta:
        indexes = [models.Index(fields=["period_start", "released_at"])]

    def __str__(self):
        return f"release {self.pk} (epsilon {self.epsilon})"
