"""The preferences app's models: subjects, topics, subscriptions and their history,
feedback, the suppression list and API keys; purposes, consent and capture rules,
exports (`privacy/`); destinations and deliveries (`propagation/`); what came in by
mail or from an email provider, and the daily counters (`inbound/`).

All in this one module, as django-allauth's mfa keeps its: one Django app, one
migrations history, and the sub-packages hold the code that uses them. That is why
it runs past 400 lines; each model is short and says why it exists.
"""

import uuid

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from common.fields import EncryptedTextField
from common.triggers import append_only, deletion_allowed
from preferences.propagation.safe_urls import UnsafeDestination, url_check


class Source(models.TextChoices):
    """Where a consent change came from; kept on every ConsentEvent."""

    ONE_CLICK = "one_click", _("one-click unsubscribe")
    PREFERENCE_CENTER = "preference_center", _("preference center")
    API = "api", _("API")
    STAFF = "staff", _("staff")
    IMPORT = "import", _("import")
    GPC = "gpc", _("Global Privacy Control signal from your browser")
    SIGNUP = "signup", _("sign-up form")
    CONFIRMATION = "confirmation", _("confirmation link")
    MAILTO = "mailto", _("unsubscribe email")
    COMPLAINT = "complaint", _("spam complaint")
    BOUNCE = "bounce", _("bounced email")
    ESP_UNSUBSCRIBE = "esp_unsubscribe", _("unsubscribe at the email provider")
    PRIVACY_REQUEST = "privacy_request", _("privacy request")
    RESUBSCRIBE = "resubscribe", _("resubscribe button after unsubscribing")


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
    pending_since = models.DateTimeField(
        null=True, blank=True,
        help_text="Signed up from an untrusted source and not yet confirmed (double opt-in): "
                  "never allowed, and deleted when the confirmation window ends.")
    erased_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When an erasure of this subject began: from then on nothing is written to "
                  "the row or its data, and every link answers \"Your data has been erased\".")
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



class Brand(models.Model):
    """Whose name, logo, colours and footer a subscriber sees, and who mail comes from.

    One install can serve a company's several newsletters: a topic belongs to a brand,
    and its one-click page, preference center and emails wear it. Set by a privacy
    officer in the console; without any row, the `HUSH_BRAND_*` settings describe the
    one brand (`preferences.brands.default_brand`). `translations` holds the texts a
    person reads, per language: `{"fr": {"name": ..., "legal_entity": ...}}`.
    """

    class Font(models.TextChoices):
        # System stacks only: the product runs offline and loads no font from anywhere.
        SYSTEM = "system", _("System sans-serif")
        HUMANIST = "humanist", _("Humanist sans-serif")
        SERIF = "serif", _("Serif")
        ROUNDED = "rounded", _("Rounded")
        MONO = "mono", _("Monospace")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120, help_text="The company or newsletter name.")
    is_default = models.BooleanField(
        default=False, help_text="Worn by pages that belong to no topic (one brand at most).")
    logo = models.BinaryField(null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=32, blank=True)
    logo_alt = models.CharField(max_length=200, blank=True,
                                help_text="What the logo says, for screen readers.")
    accent_colour = models.CharField(max_length=7, default="#0b5cad",
                                     help_text="Buttons and links, as #rrggbb.")
    text_colour = models.CharField(max_length=7, default="#1b1f24")
    background_colour = models.CharField(max_length=7, default="#ffffff")
    font = models.CharField(max_length=16, choices=Font.choices, default=Font.SYSTEM)
    privacy_policy_url = models.URLField(blank=True)
    contact_url = models.CharField(max_length=300, blank=True,
                                   help_text="An https:// page or a mailto: address.")
    legal_entity = models.CharField(max_length=300, blank=True,
                                    help_text="e.g. Acme Ltd, 1 Main Street, London")
    sender_name = models.CharField(max_length=120, blank=True)
    sender_email = models.EmailField(blank=True)
    translations = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [models.UniqueConstraint(fields=["is_default"],
                                               condition=models.Q(is_default=True),
                                               name="one_default_brand")]

    def __str__(self):
        return self.slug


class Topic(models.Model):
    """Something a subject can subscribe to, on one channel, under one brand.

    `frequencies` are the rhythms the topic offers (codes of `Frequency`; empty: none
    to choose); `translations` its name and description per language.
    """

    class Frequency(models.TextChoices):
        EVERY = "every", _("Every message")
        DAILY = "daily", _("Daily digest")
        WEEKLY = "weekly", _("Weekly digest")
        MONTHLY = "monthly", _("Monthly digest")

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
    brand = models.ForeignKey(Brand, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="topics",
                              help_text="Whose brand its pages and emails wear (none: the "
                                        "default).")
    frequencies = models.JSONField(default=list, blank=True,
                                   help_text='e.g. ["every", "weekly", "monthly"]; empty: no '
                                             "choice.")
    translations = models.JSONField(default=dict, blank=True,
                                    help_text='{"fr": {"name": ..., "description": ...}}')

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
        PENDING = "pending", _("Awaiting confirmation")

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices)
    paused_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    feedback_at = models.DateTimeField(
        null=True, blank=True, help_text="When a reason was last given: one per unsubscribe."
    )
    frequency = models.CharField(max_length=8, blank=True, default="", db_default="",
                                 help_text="One of the topic's frequencies; blank: its first.")

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
    """One change of consent, appended and never edited: the subject's history.

    Append-only: the ORM refuses updates (`ConsentEventQuerySet`, `save`), and on
    PostgreSQL the triggers in `Meta.triggers` refuse UPDATE and TRUNCATE, and DELETE
    but for the two deletions the product makes on purpose, each under
    `ConsentEvent.deletion_allowed()`: a subject's erasure and the purge of a sign-up
    never confirmed.
    """

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Topic")
        UNSUBSCRIBE_ALL = "unsubscribe_all", _("Unsubscribed from everything")
        RESUBSCRIBE_ALL = "resubscribe_all", _("Lifted unsubscribe from everything")
        PURPOSE = "purpose", _("Privacy choice")
        SUPPRESSED = "suppressed", _("No more email (spam complaint or bounce)")

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_events")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True)
    purpose = models.ForeignKey("Purpose", on_delete=models.PROTECT, null=True, blank=True)
    purpose_version = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="The wording version of the purpose the person saw: the consent receipt.")
    wording = models.ForeignKey(
        "PurposeWording", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The exact words shown (name and description, in one language).")
    jurisdiction = models.CharField(
        max_length=8, blank=True, default="", db_default="",
        help_text="The law the person was under then: gdpr, ccpa (purpose choices). The "
                  "database default serves writers that name their columns (one-click).")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    old_status = models.CharField(max_length=16, blank=True)
    new_status = models.CharField(max_length=16, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    occurred_at = models.DateTimeField(default=timezone.now)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["subject", "-occurred_at"])]
        triggers = [
            append_only(name="consent_event_no_update", operation=pgtrigger.Update,
                        what="consent events"),
            append_only(name="consent_event_no_delete", operation=pgtrigger.Delete,
                        what="consent events"),
            append_only(name="consent_event_no_truncate", operation=pgtrigger.Truncate,
                        what="consent events"),
        ]

    def __str__(self):
        return f"{self.kind} {self.old_status}->{self.new_status} ({self.source})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("consent events are append-only")
        super().save(*args, **kwargs)

    @classmethod
    def deletion_allowed(cls):
        """The way past the delete trigger, for a subject's erasure and the purge of an
        unconfirmed sign-up only (a context manager; a no-op off PostgreSQL)."""
        return deletion_allowed(cls)


class Purpose(models.Model):
    """Something personal data may be used for (analytics, partner sharing, ...).

    Whether it is on for a subject who never chose depends on the legal basis and
    the subject's jurisdiction (`preferences.privacy.jurisdictions`). Changing the
    description bumps `version`: a receipt names the wording the person saw.
    """

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(help_text="Plain language: what is collected and why.")
    legal_basis = models.CharField(max_length=24, choices=LegalBasis.choices,
                                   default=LegalBasis.CONSENT)
    is_sale_or_sharing = models.BooleanField(
        default=False, help_text="A sale or sharing (CCPA/CPRA): Global Privacy Control turns "
                                 "it off.")
    version = models.PositiveIntegerField(default=1, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    translations = models.JSONField(
        default=dict, blank=True,
        help_text='{"fr": {"name": ..., "description": ...}}; a changed description in any '
                  "language bumps the version too.")

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self):
        return self.slug

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_wording", None)
        if not self._state.adding and loaded is not None and loaded != self._wording():
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)
        self._loaded_wording = self._wording()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_wording = instance._wording()
        return instance

    def _wording(self):
        """The name and description in every language: what a receipt's version names."""
        if "description" not in self.__dict__ or "name" not in self.__dict__:
            return None  # deferred: not loaded, so not changed
        texts = self.__dict__.get("translations") or {}
        return (self.name, self.description, sorted(
            (lang, str(t.get("name", "")), str(t.get("description", "")))
            for lang, t in texts.items() if isinstance(t, dict)))


class PurposeWording(models.Model):
    """The exact words a person saw for a purpose (its name and description, in one
    language) at one version: kept for good, never edited, so a receipt shows what was
    agreed to (GDPR Art. 7(1)). Changing a purpose's wording makes a new version.

    `sha256` is of `text` (UTF-8) and also goes into the audit event of every choice
    made on it, so an edited wording row no longer matches the sealed trail.
    """

    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="wordings")
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=16)
    name = models.CharField(max_length=120)
    description = models.TextField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purpose", "version", "language"],
                                               name="one_wording_per_version_and_language")]
        triggers = [
            append_only(name="purpose_wording_no_update", operation=pgtrigger.Update,
                        what="purpose wordings"),
            append_only(name="purpose_wording_no_delete", operation=pgtrigger.Delete,
                        what="purpose wordings"),
        ]

    def __str__(self):
        return f"{self.purpose_id} v{self.version} ({self.language})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("purpose wordings are immutable: make a new version")
        super().save(*args, **kwargs)

    @staticmethod
    def text_of(name: str, description: str) -> str:
        """What the person read, as one text: the name, a blank line, the description."""
        return f"{name}\n\n{description}"

    @property
    def text(self) -> str:
        return self.text_of(self.name, self.description)


class PurposeConsent(models.Model):
    """A subject's explicit choice for one purpose. No row: the jurisdiction default.
    History lives in ConsentEvent (kind `purpose`)."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE,
                                related_name="purpose_consents")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="consents")
    granted = models.BooleanField()
    version = models.PositiveIntegerField(help_text="The wording version the choice was made on.")
    source = models.CharField(max_length=20, choices=Source.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "purpose"],
                                               name="one_consent_per_purpose")]

    def __str__(self):
        return f"{self.subject_id}/{self.purpose_id}: {self.granted}"


class CaptureRule(models.Model):
    """How in-flight events are decided, editable in the admin (no code change).

    The most specific rule matching an event wins (subject, then event type, then
    environment; blank matches anything). `purpose` maps an event type to the
    purpose it serves; `action` says what happens to it.
    """

    class Action(models.TextChoices):
        ENFORCE = "enforce", "Keep if the subject opted in, else drop"
        REDUCE = "reduce", "Keep if the subject opted in, else reduce to an aggregate"
        DROP = "drop", "Always drop"
        KEEP = "keep", "Always keep (strictly necessary)"

    name = models.CharField(max_length=100)
    environment = models.CharField(max_length=32, blank=True,
                                   help_text="e.g. production, staging; blank: any.")
    event_type = models.CharField(max_length=64, blank=True, help_text="Blank: any.")
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, null=True, blank=True,
                                help_text="Only this subject (e.g. a test account); blank: any.")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, null=True, blank=True,
                                help_text="The purpose events of this type serve.")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.ENFORCE)
    keep_fields = models.CharField(
        max_length=300, blank=True,
        help_text="For reduce: comma-separated event fields kept (scrubbed) in the aggregate.")

    def __str__(self):
        return self.name

    @property
    def specificity(self) -> int:
        return ((4 if self.subject_id else 0) + (2 if self.event_type else 0)
                + (1 if self.environment else 0))


class CaptureCount(models.Model):
    """All that is kept about events not kept as sent: a counter per purpose,
    outcome and reason, incremented set-based."""

    purpose = models.CharField(max_length=64)
    outcome = models.CharField(max_length=8)
    reason = models.CharField(max_length=32)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purpose", "outcome", "reason"],
                                               name="one_counter_per_reason")]

    def __str__(self):
        return f"{self.purpose} {self.outcome} ({self.reason}): {self.count}"


class DataExport(models.Model):
    """A subject's "download my data" request (an access request).

    The file (everything the PII catalog finds for the subject, as JSON and HTML)
    is stored encrypted in HUSH_EXPORT_DIR; the emailed link works once and until
    `expires_at`, and the file is deleted after download or expiry.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        SENT = "sent", _("Link sent by email")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, choices=Source.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=100, blank=True)

    def __str__(self):
        return f"export {self.key} ({self.status})"


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
              "scrub", "erasure", "events:ingest")

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
    PURPOSE_CHANGED = "purpose.changed"


class Destination(models.Model):
    """A downstream system that keeps its own copy of who may be contacted.

    It gets the subject's opaque id and external id; the email only when
    `include_email` is set. Paused automatically after repeated failures and
    resumed by a health probe; its backlog waits meanwhile.
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Signed webhook"
        CALLABLE = "callable", "Python callable"
        SENDGRID = "sendgrid", "SendGrid (suppressions, ASM groups)"
        MAILGUN = "mailgun", "Mailgun (unsubscribes per tag)"
        SES = "ses", "Amazon SES v2 (suppression list, contact-list topics)"
        POSTMARK = "postmark", "Postmark (suppressions per message stream)"
        LISTMONK = "listmonk", "listmonk (blocklist, list unsubscription)"
        MAILCHIMP = "mailchimp", "Mailchimp (member status)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    topics = models.ManyToManyField(Topic, blank=True,
                                    help_text="Only changes to these topics (none: every topic).")
    event_types = models.JSONField(default=list, blank=True,
                                   help_text="Only these event types (empty: every type).")
    include_email = models.BooleanField(default=False)
    url = models.URLField(blank=True, help_text="For webhooks.")
    secret = EncryptedTextField(blank=True, null=True,
                                help_text="Webhook signing secret, or an email provider's "
                                          "API key.")
    options = models.JSONField(
        default=dict, blank=True,
        help_text="An email provider's settings: lists (topic slug -> group, list or "
                  "stream), domain (Mailgun), region and contact_list (SES), stream (Postmark).")
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

    def clean(self):
        """A webhook points at a public address (or a network the operator allowed),
        without credentials; checked again at every connection."""
        if self.kind == self.Kind.WEBHOOK:
            try:
                url_check(self.url)
            except UnsafeDestination as exc:
                raise ValidationError({"url": str(exc)}) from None


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


class InboundEvent(models.Model):
    """One opt-out signal that came in by mail or from an email provider: the ledger.

    `key` is a keyed digest of the message's or the provider's event id, so a message
    an MTA delivers again, or a webhook a provider retries, is recognised and applied
    once. Nothing of the message is kept: no body, subject line or sender; only the
    keyed digest of the address it concerns (kept while it is needed: a soft bounce's
    until its counting window ends, any other's until it is applied), or the opaque
    id and topic a signed token named. Rows are counted per day for the console.
    """

    class Channel(models.TextChoices):
        PIPE = "pipe", "MTA pipe (inbound_mail)"
        SMTP = "smtp", "SMTP/LMTP listener"
        IMAP = "imap", "IMAP mailbox"
        SES = "ses", "Amazon SES (SNS)"
        SENDGRID = "sendgrid", "SendGrid"
        MAILGUN = "mailgun", "Mailgun"
        POSTMARK = "postmark", "Postmark"

    class Kind(models.TextChoices):
        MAILTO = "mailto", "mailto unsubscribe (signed token)"
        SENDER = "sender", "mailto unsubscribe (DMARC-verified sender)"
        COMPLAINT = "complaint", "spam complaint"
        HARD_BOUNCE = "hard_bounce", "hard bounce"
        SOFT_BOUNCE = "soft_bounce", "soft bounce"
        ESP_UNSUBSCRIBE = "esp_unsubscribe", "unsubscribe at the email provider"
        IGNORED = "ignored", "ignored"

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"

    key = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=32, blank=True,
                              help_text="Why an event was ignored (a fixed code).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    email_digest = models.CharField(max_length=64, blank=True)
    subject_public_id = models.UUIDField(null=True, blank=True,
                                         help_text="From a signed token, until applied.")
    topic_slug = models.CharField(max_length=64, blank=True)
    changed = models.BooleanField(null=True, help_text="Whether applying it changed anything.")
    received_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["received_at", "kind"], name="inbound_day_kind"),
            models.Index(fields=["email_digest", "received_at"], name="inbound_soft_bounces",
                         condition=models.Q(kind="soft_bounce")),
            models.Index(fields=["received_at"], name="inbound_pending",
                         condition=models.Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.channel} {self.kind} ({self.status})"


class DailyCount(models.Model):
    """A counter per day and name (`consent.allowed`, `webhook.rejected.sendgrid`, ...),
    split into shards so that concurrent writers rarely wait on one row; read summed."""

    day = models.DateField()
    name = models.CharField(max_length=64)
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "name", "shard"],
                                               name="one_daily_count_per_shard")]

    def __str__(self):
        return f"{self.day} {self.name}: {self.count}"


class RightsRequest(models.Model):
    """A request from a person (on `/privacy/` or the preference center) to see, erase or
    correct their data, or to opt out of its sale and sharing: the staff queue's row.

    Nothing happens until the person confirms from the address it names (an emailed
    6-digit code, or a signed single-use link); an unverified request is deleted when
    its window ends. Then it runs at once or waits for a privacy officer, as the
    operator configures per kind (`HUSH_RIGHTS_REVIEWED`), with a due date from the
    subject's jurisdiction. The address is kept encrypted only while the request
    needs it (to send the code, the outcome or a denial) and is cleared when it ends.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access: a copy of my data")
        ERASURE = "erasure", _("Erasure: erase my data")
        CORRECTION = "correction", _("Correction of my email address")
        OPT_OUT_SALE = "opt_out_sale", _("Do not sell or share my data")

    class State(models.TextChoices):
        AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
        AWAITING_REVIEW = "awaiting_review", _("Awaiting review")
        RUNNING = "running", _("Being carried out")
        DONE = "done", _("Done")
        DENIED = "denied", _("Denied")

    class Method(models.TextChoices):
        CODE = "code", _("A 6-digit code by email")
        LINK = "link", _("A link by email")

    class DenialReason(models.TextChoices):
        IDENTITY_NOT_VERIFIED = "identity_not_verified", _("We could not verify your identity")
        LEGAL_HOLD = "legal_hold", _("We must keep the data by law (legal hold)")
        EXCESSIVE = "excessive", _("The request is manifestly unfounded or excessive")
        OTHER = "other", _("Another reason")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=24, choices=State.choices,
                             default=State.AWAITING_VERIFICATION)
    source = models.CharField(max_length=20, choices=Source.choices)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.CODE)
    email = EncryptedTextField(null=True, blank=True,
                               help_text="The address the request names; cleared when it ends.")
    email_digest = models.CharField(  # noqa: DJ001 - erasure nulls it, as the subject's
        max_length=64, null=True, blank=True, db_index=True,
        help_text="Keyed digest: rate limits and the lookup.")
    new_email = EncryptedTextField(null=True, blank=True,
                                   help_text="For a correction: the address wanted instead.")
    language = models.CharField(max_length=16, blank=True)
    subject_public_id = models.UUIDField(
        null=True, blank=True, db_index=True,
        help_text="Filled once verified (the address-dependent work comes after the answer).")
    code_digest = models.CharField(max_length=64, blank=True,
                                   help_text="Keyed digest of the code; never the code.")
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    link_nonce = models.CharField(max_length=32, blank=True,
                                  help_text="Makes the emailed link single-use: cleared on use.")
    agent_name = models.CharField(max_length=200, blank=True,
                                  help_text="An authorized agent filing for the person.")
    agent_declaration = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    law = models.CharField(max_length=8, blank=True, help_text="gdpr or ccpa: sets the deadline.")
    due_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=64, blank=True, help_text="The staff user's id.")
    denial_reason = models.CharField(max_length=24, choices=DenialReason.choices, blank=True)
    denial_text = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    erasure_key = models.UUIDField(null=True, blank=True,
                                   help_text="The ErasureRequest it opened (the API's id).")

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"])]

    def __str__(self):
        return f"{self.kind} request {self.key} ({self.state})"

    @property
    def audit_id(self):
        return str(self.key)


class Import(models.Model):
    """One file of subjects or suppressions brought in (`manage.py import`, the API, the
    console), and how far it got.

    The file is read in batches; each batch's rows and this row's checkpoint
    (`lines_done`, `bytes_done`, the counts) commit together, so an import that stops
    (a killed worker, a cut database) continues after the last committed batch.
    Nothing of the file's content is kept here: its path, size and SHA-256 only.
    """

    class Kind(models.TextChoices):
        SUBJECTS = "subjects", _("Subjects")
        SUPPRESSIONS = "suppressions", _("Suppressions")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped with an error")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    preset = models.CharField(max_length=32, blank=True)
    mapping = models.JSONField(default=dict, blank=True,
                               help_text="Hush field or topic slug -> the file's column.")
    topic_slug = models.SlugField(max_length=64, blank=True,
                                  help_text="The topic a one-list export (Mailchimp) feeds.")
    file_path = models.CharField(max_length=500)
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.BigIntegerField(default=0)
    lines_done = models.PositiveIntegerField(default=0, help_text="The checkpoint: last line "
                                             "of the last committed batch.")
    bytes_done = models.BigIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True, help_text="A fixed message, no values.")
    requested_by = models.CharField(max_length=80, blank=True,
                                    help_text="The audit actor, as type:id.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True,
                                   help_text="The last batch's commit: a run silent for long "
                                             "has stopped, and the sweeper queues it again.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"import {self.key} ({self.kind}, {self.status})"

    @property
    def audit_id(self):
        return str(self.key)

    @property
    def progress(self) -> float:
        """The share of the file read, 0..1."""
        if self.status == self.Status.DONE:
            return 1.0
        return min(1.0, self.bytes_done / self.file_size) if self.file_size else 0.0


class ImportProblem(models.Model):
    """A row an import could not take: its line and a fixed reason, never its values."""

    class Reason(models.TextChoices):
        INVALID_ADDRESS = "invalid_address", _("invalid address")
        MISSING_ADDRESS = "missing_address", _("no address or external id")
        INVALID_DIGEST = "invalid_digest", _("invalid digest")
        UNKNOWN_TOPIC = "unknown_topic", _("unknown topic")
        INVALID_STATUS = "invalid_status", _("invalid status")
        CONFLICTING_STATUS = "conflicting_status", _("conflicting status")
        CONFLICTING_IDS = "conflicting_ids", _("email and external id name two subjects")
        INVALID_VALUE = "invalid_value", _("invalid locale, country, time or reason")
        UNREADABLE = "unreadable", _("unreadable row")

    job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)

    class Meta:
        indexes = [models.Index(fields=["job", "line"])]

    def __str__(self):
        return f"line {self.line}: {self.reason}"


class DigestSuppression(models.Model):
    """An address suppressed by the hash an email provider exported (SHA-256 or MD5 of
    the lower-cased address), not yet matched to a subject.

    Kept keyed (`HMAC(HUSH_DIGEST_KEY, "sha256:" + hash)`), as a plain provider hash can
    be reversed by guessing addresses. A subject created later with a matching address
    is suppressed then (`suppression_digests_match`).
    """

    keyed_digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20, choices=Suppression.Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.keyed_digest[:12]}… ({self.reason})"


class JournaledOptOut(models.Model):
    """A one-click opt-out that waited in a web host's journal while the database was
    down (`preferences/one_click/journal.py`), applied once: replaying its entry again
    finds its key here and changes nothing. What it did is kept, nothing personal."""

    class Outcome(models.TextChoices):
        APPLIED = "applied"
        UNCHANGED = "unchanged", "unchanged (already unsubscribed)"
        SUPERSEDED = "superseded", "superseded (a later choice stands)"
        UNKNOWN = "unknown", "unknown subject or topic"

    key = models.UUIDField(unique=True)
    accepted_at = models.DateTimeField()
    applied_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    def __str__(self):
        return f"journaled opt-out {self.key} ({self.outcome})"
