import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from preferences.fields import EncryptedTextField


class Source(models.TextChoices):
    """Where a consent change came from; kept on every ConsentEvent."""

    ONE_CLICK = "one_click", _("one-click unsubscribe")
    PREFERENCE_CENTER = "preference_center", _("preference center")
    API = "api", _("API")
    STAFF = "staff", _("staff")
    IMPORT = "import", _("import")


class Subject(models.Model):
    """A person we may email. Known to the outside only by `public_id`.

    The email is encrypted at rest; `email_digest` (keyed HMAC of the normalised
    address) is how an address is looked up without decrypting every row.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = EncryptedTextField(null=True, blank=True)
    email_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    locale = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, blank=True)
    unsubscribed_all = models.BooleanField(
        default=False, help_text="Global opt-out: no topic may be sent while set."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"subject {self.public_id}"

    @property
    def audit_actor(self):
        return ("subject", str(self.public_id))

    @property
    def audit_id(self):
        return str(self.public_id)


class Topic(models.Model):
    """Something a subject can subscribe to, on one channel."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        PUSH = "push", _("Push notifications")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    default_subscribed = models.BooleanField(
        default=False, help_text="New subjects start subscribed to this topic."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["channel", "position", "name"]

    def __str__(self):
        return self.slug


class Subscription(models.Model):
    """A subject's current state for one topic. History lives in ConsentEvent."""

    class Status(models.TextChoices):
        SUBSCRIBED = "subscribed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        PAUSED = "paused", _("Paused")

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices)
    paused_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    feedback_at = models.DateTimeField(
        null=True, blank=True, help_text="When a reason was last given: one per unsubscribe."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "topic"], name="one_subscription_per_topic"),
            models.CheckConstraint(
                condition=models.Q(status="paused", paused_until__isnull=False)
                | (~models.Q(status="paused") & models.Q(paused_until__isnull=True)),
                name="paused_has_end_date",
            ),
        ]
        indexes = [models.Index(fields=["topic", "status"])]

    def __str__(self):
        return f"{self.subject_id}/{self.topic_id}: {self.status}"

    def effective_status(self, now=None) -> str:
        """A pause that has ended counts as subscribed again."""
        if self.status == self.Status.PAUSED and self.paused_until <= (now or timezone.now()):
            return self.Status.SUBSCRIBED
        return self.status


class ConsentEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("consent events are append-only")


class ConsentEvent(models.Model):
    """One change of consent, appended and never edited: the subject's history."""

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Topic")
        UNSUBSCRIBE_ALL = "unsubscribe_all", _("Unsubscribed from everything")
        RESUBSCRIBE_ALL = "resubscribe_all", _("Lifted unsubscribe from everything")

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_events")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    occurred_at = models.DateTimeField(default=timezone.now)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["subject", "-occurred_at"])]

    def __str__(self):
        return f"{self.kind} {self.old_status}->{self.new_status} ({self.source})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("consent events are append-only")
        super().save(*args, **kwargs)


class Suppression(models.Model):
    """An address that must never be mailed, kept as a digest so it outlives the subject."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED_ALL = "unsubscribed_all", _("unsubscribed from everything")
        ERASED = "erased", _("erased on request")
        COMPLAINT = "complaint", _("spam complaint")
        BOUNCE = "bounce", _("hard bounce")
        MANUAL = "manual", _("added by staff")

    email_digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.email_digest[:12]}… ({self.reason})"


class Feedback(models.Model):
    """Why someone left. Deliberately not linked to the subject: it feeds analytics only.

    The optional comment is free text, so it may name anyone: the anonymizer
    redacts it before it is stored (`feedback_record`), never after.
    """

    COMMENT_MAX_LENGTH = 1000

    class Reason(models.TextChoices):
        TOO_FREQUENT = "too_frequent", _("I get too many emails")
        NOT_RELEVANT = "not_relevant", _("The content isn't relevant to me")
        NEVER_SIGNED_UP = "never_signed_up", _("I never signed up")
        PRIVACY = "privacy", _("I'm worried about my privacy")
        OTHER = "other", _("Another reason")

    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    comment = models.TextField(blank=True,
                               help_text="What the person wrote, stored only after redaction.")
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.reason


class ApiKey(AbstractAPIKey):
    """A key for the company's mailer and apps. Stored hashed; carries scopes."""

    SCOPES = ("subjects:read", "subjects:write", "consent:check", "deliveries:manage",
              "scrub", "erasure")

    scopes = models.JSONField(default=list, help_text="e.g. [\"consent:check\"]")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"

    @property
    def audit_actor(self):
        return ("api_key", self.prefix)

    @property
    def audit_id(self):
        return self.prefix  # the primary key embeds the hash; the prefix names the key

    def has_scopes(self, required) -> bool:
        return set(required) <= set(self.scopes)


class EventType(models.TextChoices):
    """What a destination can be told about."""

    SUBSCRIPTION_CHANGED = "subscription.changed"
    SUBJECT_SUPPRESSED = "subject.suppressed"
    SUBJECT_UNSUPPRESSED = "subject.unsuppressed"
    SUBJECT_ERASED = "subject.erased"


class Destination(models.Model):
    """A downstream system that keeps its own copy of who may be contacted.

    It gets the subject's opaque id and external id; the email only when
    `include_email` is set. Paused automatically after repeated failures and
    resumed by a health probe; its backlog waits meanwhile.
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Signed webhook"
        CALLABLE = "callable", "Python callable"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    topics = models.ManyToManyField(Topic, blank=True,
                                    help_text="Only changes to these topics (none: every topic).")
    event_types = models.JSONField(default=list, blank=True,
                                   help_text="Only these event types (empty: every type).")
    include_email = models.BooleanField(default=False)
    url = models.URLField(blank=True, help_text="For webhooks.")
    secret = EncryptedTextField(blank=True, null=True, help_text="Webhook signing secret.")
    callable_path = models.CharField(max_length=200, blank=True,
                                     help_text="Dotted path of a function, for callables.")
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=200, blank=True)
    next_probe_at = models.DateTimeField(null=True, blank=True,
                                         help_text="When a paused destination is tried again.")
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class Delivery(models.Model):
    """One event for one destination: the outbox row, written in the same
    transaction as the change. Its id is the idempotency key receivers see.

    Ordered per subject by the auto-increment `id`: a delivery is only sent once
    every earlier one for the same destination and subject has been delivered or
    given up. `key` is public (the payload's "id"); `id` never leaves Hush.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        IN_FLIGHT = "in_flight"
        DELIVERED = "delivered"
        FAILED = "failed"

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    destination = models.ForeignKey(Destination, on_delete=models.CASCADE,
                                    related_name="deliveries",
                                    db_index=False)  # led by the composite indexes below
    subject = models.ForeignKey(Subject, on_delete=models.SET_NULL, null=True, blank=True)
    subject_key = models.CharField(max_length=36, help_text="Opaque id: the ordering key.")
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    payload = models.JSONField(help_text="Without the email, which is added at send time.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    retried_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Set when staff retry a failed delivery.")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["destination", "subject_key", "id"],
                         name="delivery_subject_order",
                         condition=models.Q(status__in=["pending", "in_flight"])),
            models.Index(fields=["next_attempt_at"], name="delivery_due",
                         condition=models.Q(status="pending")),
            models.Index(fields=["destination", "status", "delivered_at"]),
        ]

    def __str__(self):
        return f"{self.event_type} -> {self.destination_id} ({self.status})"
