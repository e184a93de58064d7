"""`POST /api/v1/scrub`: other systems send events, Hush sends them back scrubbed.

Nothing sent here is stored or logged: the events are scrubbed in memory and
answered. It changes no state, so it writes no audit event either.
"""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

import anonymizer
from anonymizer.core.findings import ADDRESS, KINDS, POSTCODE
from anonymizer.policies import pseudonym_key
from preferences.api import BaseApi, StrictSerializer
from preferences.api_capture import DecisionSerializer, consent_filter
from preferences.api_errors import error_responses

MAX_EVENTS = 1000
POLICY_KINDS = frozenset(KINDS) | {ADDRESS, POSTCODE}  # the last two are named by key only
# Tokenize is left out on purpose: it would fill the vault from outside.
API_TRANSFORMS = ("redact", "mask", "pseudonymise", "generalize", "null")


class ScrubApi(BaseApi):
    required_scopes = ("scrub",)

    @extend_schema_serializer(component_name="ScrubInput")
    class InputSerializer(StrictSerializer):
        events = serializers.ListField(
            child=serializers.JSONField(), min_length=1, max_length=MAX_EVENTS,
            help_text="JSON values: objects are scrubbed by key and value, strings as text.")
        policy = serializers.DictField(
            child=serializers.ChoiceField(choices=API_TRANSFORMS), required=False,
            help_text="Kind -> transform, e.g. {\"EMAIL\": \"mask\"}; unnamed kinds are "
                      "redacted to a label such as [EMAIL].")

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
        # Capture opt-out (preferences.api_capture): only when an event names a subject.
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
        responses={200: OutputSerializer, **error_responses()},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        policy = data.validated_data.get("policy") or None
        key = pseudonym_key() if policy and "pseudonymise" in policy.values() else None
        events, decisions = consent_filter(
            request, data.validated_data["events"],
            lambda event: anonymizer.scrub_event(event, policy, key=key))
        return Response({"events": events} if decisions is None
                        else {"events": events, "decisions": decisions})
