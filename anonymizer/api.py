"""The anonymizer's API: scrub events (`POST /api/v1/scrub`), ask for a subject to be
erased and follow the request (`/api/v1/erasures`).

Scrubbing stores and logs nothing: the events are scrubbed in memory and answered,
so it writes no audit event either.

A key with the `erasure` scope alone can never learn whether an address is known:
the request is accepted the same way for an address Hush has never seen (it runs
and finds nothing), and its status leaves out the subject's id, the rows and
fields changed and what verification found unless the key also holds
`subjects:read`. An unknown subject id is a 404 only for a key that holds it.
"""

import uuid

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from anonymizer import erasure
from anonymizer.core.events import scrub_event
from anonymizer.core.findings import ADDRESS, KINDS, POSTCODE
from anonymizer.erasure.selectors import erasure_report
from anonymizer.models import ErasureRequest, ErasureStep
from anonymizer.policies import pseudonym_key
from common.api.base import BaseApi, StrictSerializer, can_read
from common.api.errors import ErrorSerializer, error_responses
from preferences.privacy.api import EVENT_ENVELOPE, DecisionSerializer, consent_filter

MAX_EVENTS = 1000
POLICY_KINDS = frozenset(KINDS) | {ADDRESS, POSTCODE}  # the last two are named by key only
# Tokenize is left out on purpose: it would fill the vault from outside.
API_TRANSFORMS = ("redact", "mask", "pseudonymise", "generalize", "null")


class ScrubApi(BaseApi):
    required_scopes = ("scrub",)
    free_json_fields = ("events",)  # any JSON, control characters included (not stored)

    @extend_schema_serializer(component_name="ScrubInput")
    class InputSerializer(StrictSerializer):
        events = serializers.ListField(
            child=serializers.JSONField(allow_null=True), min_length=1, max_length=MAX_EVENTS,
            help_text="JSON values: objects are scrubbed by key and value, strings as text. "
                      "An object with a \"subject\" is an event to decide first, as for "
                      "/events.")
        policy = serializers.DictField(
            child=serializers.ChoiceField(choices=API_TRANSFORMS), required=False,
            help_text="Kind -> transform, e.g. {\"EMAIL\": \"mask\"}; unnamed kinds are "
                      "redacted to a label such as [EMAIL].")

        # Any JSON value; an object naming a subject follows the consent envelope. Policy
        # keys are kinds (OpenAPI 3.0 has no propertyNames: each kind is a property).
        schema_rules = {"properties": {
            "events": {"items": {"anyOf": [{"not": {"type": "object"}},
                                           {"type": "object", "not": {"required": ["subject"]}},
                                           EVENT_ENVELOPE]}},
            "policy": {"properties": {kind: {"enum": list(API_TRANSFORMS)}
                                      for kind in sorted(POLICY_KINDS)},
                       "additionalProperties": False},
        }}

        def validate_policy(self, value):
            unknown = sorted(set(value) - POLICY_KINDS)
            if unknown:
                raise ValidationError(f"unknown kind: {', '.join(unknown)}; "
                                      f"kinds are {', '.join(sorted(POLICY_KINDS))}")
            return value

    @extend_schema_serializer(component_name="ScrubOutput")
    class OutputSerializer(serializers.Serializer):
        events = serializers.ListField(child=serializers.JSONField(allow_null=True),
                                       help_text="The events, in order, scrubbed.")
        # Capture opt-out (preferences.privacy.api): only when an event names a subject.
        decisions = DecisionSerializer(many=True, required=False,
                                       help_text="Per event, when any names a subject: kept, "
                                                 "reduced or dropped (null in events).")

    @extend_schema(
        operation_id="scrub",
        summary="Scrub personal data from a batch of events",
        description="Detects personal data by key name and by value (emails, phones, IPs, "
                    "cards, IBANs, SSNs, MAC addresses, coordinates, dates of birth, names, "
                    "secrets) and answers the events with it transformed. Nothing is stored.",
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = data.validated_data.get("policy") or None
        key = pseudonym_key() if policy and "pseudonymise" in policy.values() else None
        events, decisions = consent_filter(
            request, data.validated_data["events"],
            lambda event: scrub_event(event, policy, key=key))
        return Response({"events": events} if decisions is None
                        else {"events": events, "decisions": decisions})


class ErasureCreateApi(BaseApi):
    required_scopes = ("erasure",)

    @extend_schema_serializer(component_name="ErasureCreateInput")
    class InputSerializer(StrictSerializer):
        subject = serializers.UUIDField(required=False, help_text="the subject's id")
        email = serializers.EmailField(required=False, max_length=320)
        external_id = serializers.CharField(required=False, max_length=255)
        schema_rules = {"oneOf": [{"required": ["subject"]}, {"required": ["email"]},
                                  {"required": ["external_id"]}]}

        def validate(self, data):
            if len(data) != 1:
                raise ValidationError("give exactly one of subject, email or external_id")
            return data

    @extend_schema_serializer(component_name="ErasureCreateOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField(help_text="the erasure request's id")
        status_url = serializers.URLField()

    @extend_schema(
        operation_id="erasures_create",
        summary="Ask for a subject to be erased",
        description="Answers 202 with the request's id and where to follow it, the same way "
                    "whether or not the email or external_id is known (an unknown one is "
                    "still suppressed). Asking again while this key's request is open "
                    "answers the same request. An unknown subject id is a 404 only for a "
                    "key holding subjects:read; any other key gets the same 202.",
        request=InputSerializer,
        responses={202: OutputSerializer, 404: OpenApiResponse(
            ErrorSerializer, description="No subject has this id."), **error_responses()},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        named = data.validated_data
        try:
            erasure_request = erasure.erasure_request_for(
                actor=request.auth, source=ErasureRequest.Source.API,
                public_id=named.get("subject"), email=named.get("email"),
                external_id=named.get("external_id"))
        except erasure.NotFound:
            if can_read(request):
                raise NotFound("no such subject") from None
            # Any other key is answered as for a known id: the request runs, finds nothing.
            erasure_request = erasure.erasure_open(
                public_id=named["subject"], source=ErasureRequest.Source.API,
                actor=request.auth, per_requester=True)
        except ValueError as exc:  # an address no longer valid once normalised
            raise ValidationError({"email": [str(exc)]}) from None
        url = request.build_absolute_uri(
            reverse("api-erasure", kwargs={"erasure_id": str(erasure_request.key)}))
        return Response(self.OutputSerializer({"id": erasure_request.key, "status_url": url}).data,
                        status=status.HTTP_202_ACCEPTED)


@extend_schema_serializer(component_name="ErasureStep")
class StepSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="a catalog entry, or destination:<id>")
    status = serializers.ChoiceField(choices=ErasureStep.Status.choices)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    rows = serializers.IntegerField(required=False, help_text="only with subjects:read")
    fields = serializers.ListField(child=serializers.CharField(), required=False,
                                   help_text="only with subjects:read")


@extend_schema_serializer(component_name="ErasureFinding")
class FindingSerializer(serializers.Serializer):
    entry = serializers.CharField()
    field = serializers.CharField(allow_blank=True)
    identifier = serializers.CharField(help_text="which identifier, never its value")
    rows = serializers.IntegerField()


@extend_schema_serializer(component_name="ErasureVerification")
class VerificationSerializer(serializers.Serializer):
    checked_at = serializers.DateTimeField()
    clean = serializers.BooleanField()
    places = serializers.IntegerField(help_text="catalogued fields searched")
    found = FindingSerializer(many=True, required=False, help_text="only with subjects:read")


@extend_schema_serializer(component_name="ErasureProgress")
class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    failed = serializers.IntegerField()


class ErasureStatusApi(BaseApi):
    required_scopes = ("erasure",)

    @extend_schema_serializer(component_name="ErasureStatus")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        subject = serializers.UUIDField(required=False, help_text="only with subjects:read")
        status = serializers.ChoiceField(choices=ErasureRequest.Status.choices)
        source = serializers.CharField()
        requested_at = serializers.DateTimeField()
        started_at = serializers.DateTimeField(allow_null=True)
        finished_at = serializers.DateTimeField(allow_null=True)
        progress = ProgressSerializer()
        steps = StepSerializer(many=True)
        verification = VerificationSerializer(allow_null=True)

    @extend_schema(
        operation_id="erasures_read",
        summary="An erasure request's status, progress, steps and report",
        responses={200: OutputSerializer, 404: OpenApiResponse(
            ErrorSerializer, description="No such erasure request."), **error_responses()},
    )
    def get(self, request, erasure_id):
        try:
            key = uuid.UUID(erasure_id)
        except ValueError:
            raise NotFound("no such erasure request") from None
        erasure_request = ErasureRequest.objects.filter(key=key).first()
        if erasure_request is None:
            raise NotFound("no such erasure request")
        return Response(self.OutputSerializer(
            erasure_report(erasure_request, details=can_read(request))).data)
