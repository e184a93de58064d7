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
    """Why someone left. Deliberately not linked to the subject: it feeds analytics only."""

    class Reason(models.TextChoices):
        TOO_FREQUENT = "too_frequent", _("I get too many emails")
        NOT_RELEVANT = "not_relevant", _("The content isn't relevant to me")
        NEVER_SIGNED_UP = "never_signed_up", _("I never signed up")
        PRIVACY = "privacy", _("I'm worried about my privacy")
        OTHER = "other", _("Another reason")

    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.reason


class ApiKey(AbstractAPIKey):
    """A key for the company's mailer and apps. Stored hashed; carries scopes."""

    SCOPES = ("subjects:read", "subjects:write", "consent:check")

    scopes = models.JSONField(default=list, help_text="e.g. [\"consent:check\"]")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"

    @property
    def audit_actor(self):
        return ("api_key", self.prefix)

    def has_scopes(self, required) -> bool:
        return set(required) <= set(self.scopes)
