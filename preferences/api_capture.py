"""Capture opt-out in flight, over the API: `POST /api/v1/events` (ingest) and the
consent step `POST /api/v1/scrub` runs before scrubbing (`consent_filter`).

Nothing an event carries is stored: the decision reads the (cached) consent state,
and a dropped or reduced event leaves only a counter per purpose and reason.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

import anonymizer
from preferences import capture
from preferences.api import BaseApi, StrictSerializer
from preferences.api_errors import error_responses

MAX_EVENTS = 1000
ENVIRONMENT_HEADER = "X-Hush-Environment"


def environment_of(request) -> str:
    return request.headers.get(ENVIRONMENT_HEADER, "")[:32]


def consent_filter(request, events: list, scrub, *, required: bool = False):
    """Decide every event that names a subject and scrub what is kept.

    Returns (events, decisions): a dropped event is None in `events`, a reduced one
    its aggregate form; `decisions` is None when no event named a subject (and
    `required` is false), so a plain scrub answers exactly as before.
    """
    if required:
        bad = [i for i, e in enumerate(events) if not capture.names_subject(e)]
        if bad:
            raise ValidationError({"events": [f"event {bad[0]} names no subject: each event "
                                              "is an object with a subject and a purpose "
                                              "or type"]})
    try:
        decisions = capture.decide(events, environment=environment_of(request))
    except capture.UnknownPurpose as exc:
        raise ValidationError({"events": [str(exc)]}) from None
    except capture.BadEvent as exc:
        raise ValidationError({"events": [str(exc)]}) from None
    if all(d is None for d in decisions):
        return [scrub(e) for e in events], None
    out, answers = [], []
    for event, decision in zip(events, decisions, strict=True):
        if decision is None:
            out.append(scrub(event))
            answers.append({"outcome": capture.KEPT, "reason": "no_subject", "purpose": None})
            continue
        answers.append(decision.answer)
        if decision.outcome == capture.KEPT:
            out.append(scrub(event))
        elif decision.outcome == capture.REDUCED:
            out.append(scrub(capture.reduce(event, decision)))
        else:
            out.append(None)
    return out, answers


@extend_schema_serializer(component_name="CaptureDecision")
class DecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[capture.KEPT, capture.REDUCED, capture.DROPPED])
    reason = serializers.CharField(help_text="opted_in, default_on, opted_out, not_opted_in, "
                                             "unknown_subject, pending_confirmation, rule_keep, "
                                             "rule_drop, no_subject")
    purpose = serializers.CharField(allow_null=True)


class EventsIngestApi(BaseApi):
    required_scopes = ("events:ingest",)

    @extend_schema_serializer(component_name="EventsIngestInput")
    class InputSerializer(StrictSerializer):
        events = serializers.ListField(
            child=serializers.DictField(), min_length=1, max_length=MAX_EVENTS,
            help_text="Objects, each naming a subject ({\"subject\": {\"id\" | \"external_id\" "
                      "| \"email\": ...}}) and a \"purpose\" or a \"type\" mapped to one by a "
                      "capture rule; optional \"environment\".")

    @extend_schema_serializer(component_name="EventsIngestOutput")
    class OutputSerializer(serializers.Serializer):
        events = serializers.ListField(
            child=serializers.JSONField(allow_null=True),
            help_text="In order: the event scrubbed (kept), its aggregate form (reduced) or "
                      "null (dropped).")
        decisions = DecisionSerializer(many=True)

    @extend_schema(
        operation_id="events_ingest",
        summary="Enforce capture opt-outs on a batch of events",
        description="Each event is kept (scrubbed of personal data), reduced to a "
                    "pseudonymous aggregate or dropped, by the subject's choice for the "
                    "event's purpose and the capture rules. Only a counter per purpose and "
                    "reason is kept of what is not kept.",
        parameters=[OpenApiParameter(ENVIRONMENT_HEADER, str, OpenApiParameter.HEADER,
                                     required=False,
                                     description="the environment (e.g. production); an "
                                                 "event's own `environment` field wins")],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses()},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        events, decisions = consent_filter(request, data.validated_data["events"],
                                           anonymizer.scrub_event, required=True)
        return Response({"events": events, "decisions": decisions})
