"""The preferences API: subjects, subscriptions, links and the consent check. One view
per operation, nested input/output serializers."""

import uuid

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from common.api.base import SLUG, BaseApi, StrictSerializer, by_slug, can_read
from common.api.errors import error_responses
from preferences import email as email_links
from preferences import selectors, services
from preferences.inbound import counters
from preferences.models import Purpose, Source, Subscription, Topic
from preferences.privacy.selectors import purpose_allowed

LOCALE = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"


def subject_or_404(subject_id: str):
    """The subject a URL names by its opaque id; anything else is a 404."""
    try:
        public_id = uuid.UUID(subject_id)
    except ValueError:
        raise NotFound("no such subject") from None
    subject = selectors.subject_by_public_id(public_id)
    if subject is None:
        raise NotFound("no such subject")
    return subject


class SubjectUpsertApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema_serializer(component_name="SubjectUpsertInput")
    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(required=False, max_length=320)
        external_id = serializers.CharField(required=False, max_length=255)
        locale = serializers.RegexField(LOCALE, required=False, max_length=16)
        country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False)
        subscriptions = serializers.DictField(child=serializers.BooleanField(), required=False,
                                              help_text="topic slug -> subscribed")
        double_opt_in = serializers.BooleanField(
            required=False, default=False,
            help_text="An untrusted source (e.g. your own sign-up form): subscriptions stay "
                      "pending, and a new subject is never allowed, until they click the "
                      "confirmation link we email; unconfirmed subjects are deleted after "
                      "HUSH_DOI_EXPIRY. Needs an email.")
        schema_rules = {"allOf": [
            {"anyOf": [{"required": ["email"]}, {"required": ["external_id"]}]},
            {"anyOf": [{"required": ["email"]}, {"not": {"required": ["double_opt_in"]}},
                       {"properties": {"double_opt_in": {"enum": [False]}}}]},
        ]}

        def validate(self, data):
            if not data.get("email") and not data.get("external_id"):
                raise ValidationError("give an email or an external_id")
            if data.get("double_opt_in") and not data.get("email"):
                raise ValidationError({"double_opt_in": ["double opt-in needs an email"]})
            return data

    @extend_schema_serializer(component_name="SubjectUpsertOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()

    @extend_schema(
        operation_id="subjects_upsert",
        summary="Create or update a subject by email or external_id",
        description="Answers 200 with the subject's id whether it was created or updated, "
                    "so the answer never tells whether an address was known. Naming both an "
                    "email and an external_id needs subjects:read as well, because the 409 "
                    "answered when they belong to different subjects tells that the address "
                    "is known.",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(404, 409)},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        not_slugs = sorted(k for k in data.validated_data.get("subscriptions", {})
                           if not SLUG.fullmatch(k))
        if not_slugs:  # can name no topic (and must not reach a query: NUL)
            raise NotFound(f"subscriptions: unknown topic: {', '.join(map(repr, not_slugs))}")
        if {"email", "external_id"} <= set(data.validated_data) and not can_read(request):
            raise PermissionDenied("naming both an email and an external_id needs the scope "
                                   "subjects:read as well")
        try:
            subject, _ = services.subject_upsert(actor=request.auth, source=Source.API,
                                                 **data.validated_data)
        except services.NotFound as exc:  # a topic that does not exist, as by_slug says
            raise NotFound(f"subscriptions: {exc}") from None
        except ValueError as exc:  # an address that is no longer valid once normalised
            raise ValidationError({"email": [str(exc)]}) from None
        except services.Conflict:
            return Response({"error": {"code": "conflict", "message":
                             "the email and the external_id belong to different subjects"}},
                            status=status.HTTP_409_CONFLICT)
        return Response(self.OutputSerializer({"id": subject.public_id}).data)


class SubscriptionStateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Subscription.Status.choices)
    paused_until = serializers.DateTimeField(allow_null=True)


class SubjectDetailApi(BaseApi):
    required_scopes = ("subjects:read",)

    @extend_schema_serializer(component_name="SubjectDetailOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(source="public_id")
        email = serializers.EmailField(allow_null=True)
        external_id = serializers.CharField(allow_null=True)
        locale = serializers.CharField()
        country = serializers.CharField()
        unsubscribed_all = serializers.BooleanField()
        subscriptions = serializers.DictField(child=SubscriptionStateSerializer(),
                                              help_text="topic slug -> state")

    @extend_schema(operation_id="subjects_read", summary="Read a subject and its subscriptions",
                   responses={200: OutputSerializer, **error_responses(404)})
    def get(self, request, subject_id):
        subject = subject_or_404(subject_id)
        out = {field: getattr(subject, field) for field in
               ("public_id", "email", "external_id", "locale", "country", "unsubscribed_all")}
        out["subscriptions"] = selectors.subscription_states(subject)
        return Response(self.OutputSerializer(out).data)


class SubscriptionsChangeApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema_serializer(component_name="SubscriptionsChangeInput")
    class InputSerializer(StrictSerializer):
        @extend_schema_serializer(component_name="SubscriptionsChangeChange")
        class ChangeSerializer(StrictSerializer):
            topic = serializers.SlugField(max_length=64)
            # Pending is only ever set by a double opt-in sign-up, never directly.
            status = serializers.ChoiceField(choices=[
                c for c in Subscription.Status.choices if c[0] != Subscription.Status.PENDING])
            paused_until = serializers.DateTimeField(required=False)
            schema_rules = {"oneOf": [
                {"properties": {"status": {"enum": [Subscription.Status.PAUSED.value]}},
                 "required": ["paused_until"]},
                {"properties": {"status": {"enum": [Subscription.Status.SUBSCRIBED.value,
                                                    Subscription.Status.UNSUBSCRIBED.value]}},
                 "not": {"required": ["paused_until"]}},
            ]}

            def validate(self, data):
                paused = data["status"] == Subscription.Status.PAUSED
                if paused != ("paused_until" in data):
                    raise ValidationError("paused_until goes with status paused, and only then")
                return data

        changes = ChangeSerializer(many=True, allow_empty=False, max_length=100)

    @extend_schema_serializer(component_name="SubscriptionsChangeOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        changed = serializers.ListField(
            child=serializers.CharField(), required=False,
            help_text="slugs of the topics whose state changed; only for a key that also "
                      "holds subjects:read (it tells the state before the change)")

    @extend_schema(operation_id="subscriptions_change",
                   summary="Change a subject's subscriptions (all or none)",
                   request=InputSerializer,
                   responses={200: OutputSerializer, **error_responses(404)})
    def patch(self, request, subject_id):
        subject = subject_or_404(subject_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = data.validated_data["changes"]
        topics = by_slug(Topic, {c["topic"] for c in changes}, field="changes", noun="topic")
        try:
            changed = services.subscriptions_change(
                subject=subject, source=Source.API, actor=request.auth,
                changes=[services.TopicChange(topics[c["topic"]], c["status"],
                                              c.get("paused_until")) for c in changes])
        except ValueError as exc:
            raise ValidationError({"changes": [str(exc)]}) from None
        out = {"id": subject.public_id, "changed": changed}
        if not can_read(request):
            del out["changed"]
        return Response(self.OutputSerializer(out).data)


class UnsubscribeAllApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema_serializer(component_name="UnsubscribeAllOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        changed = serializers.BooleanField(
            required=False,
            help_text="false if the subject had already opted out; only for a key that also "
                      "holds subjects:read")

    @extend_schema(operation_id="subjects_unsubscribe_all",
                   summary="Unsubscribe a subject from everything (global opt-out)",
                   request=None, responses={200: OutputSerializer, **error_responses(404)})
    def post(self, request, subject_id):
        subject = subject_or_404(subject_id)
        changed = services.subject_unsubscribe_all(subject=subject, source=Source.API,
                                                   actor=request.auth)
        out = {"id": subject.public_id, "changed": changed}
        if not can_read(request):
            del out["changed"]
        return Response(self.OutputSerializer(out).data)


class SubjectLinksApi(BaseApi):
    required_scopes = ("subjects:read",)

    class FilterSerializer(serializers.Serializer):
        topic = serializers.SlugField(max_length=64)

    OutputSerializer = inline_serializer(
        name="SubjectLinks",
        fields={
            "preferences_url": serializers.URLField(),
            "unsubscribe_url": serializers.URLField(),
            "headers": inline_serializer(name="UnsubscribeHeaders", fields={
                "List-Unsubscribe": serializers.CharField(),
                "List-Unsubscribe-Post": serializers.CharField(),
            }),
        },
    )

    @extend_schema(
        operation_id="subjects_links",
        summary="Preference and one-click links, and the List-Unsubscribe headers",
        parameters=[OpenApiParameter("topic", {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$",
                                               "minLength": 1, "maxLength": 64},
                                     required=True,
                                     description="slug of the topic the email is about")],
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def get(self, request, subject_id):
        subject = subject_or_404(subject_id)
        query = self.FilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        topic = Topic.objects.filter(slug=query.validated_data["topic"]).first()
        if topic is None:
            raise NotFound("no such topic")
        return Response(email_links.links(subject, topic))


class RecipientsField(serializers.ListField):
    """Up to 10,000 recipients. The common case (plain strings of 1 to 320
    characters) is checked in one pass; anything else gets the per-item checks
    and their messages. A mailer calls this before every send."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(max_length=320, trim_whitespace=False),
                         **kwargs)

    def to_internal_value(self, data):
        if (isinstance(data, list) and len(data) <= self.max_length
                and all(type(r) is str and 0 < len(r) <= 320 and "\x00" not in r
                        for r in data)):
            return data
        return super().to_internal_value(data)


class ConsentCheckApi(BaseApi):
    required_scopes = ("consent:check",)

    @extend_schema_serializer(component_name="ConsentCheckInput")
    class InputSerializer(StrictSerializer):
        topic = serializers.SlugField(max_length=64, required=False,
                                      help_text="a topic slug; or give a purpose instead")
        purpose = serializers.SlugField(max_length=64, required=False,
                                        help_text="a purpose slug; or give a topic instead")
        recipients = RecipientsField(max_length=10_000,
                                     help_text="emails or subject ids, up to 10,000")
        schema_rules = {"oneOf": [{"required": ["topic"]}, {"required": ["purpose"]}]}

        def validate(self, data):
            if ("topic" in data) == ("purpose" in data):
                raise ValidationError("give a topic or a purpose, not both and not neither")
            return data

    @extend_schema_serializer(component_name="ConsentCheckOutput")
    class OutputSerializer(serializers.Serializer):
        topic = serializers.CharField(required=False)
        purpose = serializers.CharField(required=False)
        allowed = serializers.ListField(child=serializers.CharField(),
                                        help_text="the recipients that may be sent to (topic) "
                                                  "or whose data may be used (purpose), as "
                                                  "given")

    @extend_schema(operation_id="consent_check",
                   summary="Which recipients may be sent this topic, or have their data used "
                           "for this purpose, now",
                   request=InputSerializer,
                   responses={200: OutputSerializer, **error_responses(404)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "purpose" in data.validated_data:
            return self._purpose(data.validated_data)
        topic = Topic.objects.filter(slug=data.validated_data["topic"]).first()
        if topic is None:
            raise NotFound("no such topic")
        allowed = selectors.consent_allowed(topic=topic,
                                            recipients=data.validated_data["recipients"])
        # The denominator of the console's complaint rate: recipients allowed per day.
        counters.daily_count_add(name=counters.CONSENT_ALLOWED, amount=len(allowed))
        return Response({"topic": topic.slug, "allowed": allowed})

    def _purpose(self, data):
        purpose = Purpose.objects.filter(slug=data["purpose"]).first()
        if purpose is None:
            raise NotFound("no such purpose")
        allowed = purpose_allowed(purpose=purpose, recipients=data["recipients"])
        return Response({"purpose": purpose.slug, "allowed": allowed})
