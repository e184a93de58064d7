"""The privacy API: a subject's purposes, their access request ("download my data"),
and capture opt-out in flight: `POST /api/v1/events` (ingest) and the consent step
`POST /api/v1/scrub` runs before scrubbing (`consent_filter`).

Nothing an event carries is stored: the decision reads the (cached) consent state,
and a dropped or reduced event leaves only a counter per purpose and reason.
"""

import uuid

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from anonymizer.core.events import scrub_event
from common.api.base import BaseApi, StrictSerializer, by_slug, can_read
from common.api.errors import error_responses
from common.api.schema import TEXT
from preferences.api import subject_or_404
from preferences.erased import refuse_erased
from preferences.models import Purpose, Source
from preferences.privacy import capture, exports
from preferences.privacy.receipts import receipts_of
from preferences.privacy.selectors import purpose_states
from preferences.privacy.services import gpc_apply_to_refs, purposes_apply_gpc, purposes_change
from preferences.selectors import subject_by_public_id

MAX_EVENTS = 1000
ENVIRONMENT_HEADER = "X-Hush-Environment"


def environment_of(request) -> str:
    return request.headers.get(ENVIRONMENT_HEADER, "")[:32]


# The consent envelope of an event (capture.subject_ref, capture._purpose_of), as JSON Schema.
_REF = {"type": "string", "minLength": 1, "maxLength": 320, "pattern": TEXT}
EVENT_ENVELOPE = {
    "type": "object", "required": ["subject"],
    "properties": {
        "subject": {"type": "object", "minProperties": 1, "maxProperties": 1,
                    "additionalProperties": False,
                    "properties": {kind: _REF for kind in capture.SUBJECT_KINDS}},
        "purpose": {"type": "string", "minLength": 1},
        "type": {"type": "string", "minLength": 1},
        "environment": {"type": "string"},
    },
    "anyOf": [{"required": ["purpose"]}, {"required": ["type"]}],
}


# What a key without subjects:read is told: whether the event may be used, never why,
# since "unknown_subject", "pending_confirmation" or "opted_out" would tell it who is known.
_PLAIN_REASONS = {capture.KEPT: "allowed", capture.REDUCED: "not_allowed",
                  capture.DROPPED: "not_allowed"}


def _plain_answer(answer: dict) -> dict:
    return {**answer, "reason": _PLAIN_REASONS[answer["outcome"]]}


def consent_filter(request, events: list, scrub, *, required: bool = False):
    """Decide every event that names a subject and scrub what is kept.

    Returns (events, decisions): a dropped event is None in `events`, a reduced one
    its aggregate form; `decisions` is None when no event named a subject (and
    `required` is false), so a plain scrub answers exactly as before. A key without
    subjects:read is told only `allowed` or `not_allowed`: an unknown subject's
    event answers exactly as a known one's that may not be used.
    """
    if required:
        bad = [i for i, e in enumerate(events) if not capture.names_subject(e)]
        if bad:
            raise ValidationError({"events": [f"event {bad[0]} names no subject: each event "
                                              "is an object with a subject and a purpose "
                                              "or type"]})
    try:
        decisions = capture.decide(events, environment=environment_of(request))
    except capture.UnknownPurpose as exc:  # well formed, names nothing that exists
        raise NotFound(f"events: {exc}") from None
    except capture.BadEvent as exc:
        raise ValidationError({"events": [str(exc)]}) from None
    if all(d is None for d in decisions):
        return [scrub(e) for e in events], None
    out, answers = [], []
    details, plain_answers = can_read(request), {}
    for event, decision in zip(events, decisions, strict=True):
        if decision is None:
            out.append(scrub(event))
            answers.append({"outcome": capture.KEPT, "reason": "no_subject", "purpose": None})
            continue
        if details:
            answers.append(decision.answer)
        else:  # decisions are few and immutable: one plain answer each
            plain = plain_answers.get(decision)
            if plain is None:
                plain = plain_answers[decision] = _plain_answer(decision.answer)
            answers.append(plain)
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
    reason = serializers.CharField(help_text="for a key holding subjects:read: opted_in, "
                                             "default_on, opted_out, not_opted_in, "
                                             "unknown_subject, pending_confirmation, rule_keep, "
                                             "rule_drop or no_subject; for any other key only "
                                             "allowed, not_allowed or no_subject, so the answer "
                                             "never tells whether a subject is known")
    purpose = serializers.CharField(allow_null=True)


class EventsIngestApi(BaseApi):
    required_scopes = ("events:ingest",)
    free_json_fields = ("events",)  # any JSON but the envelope (capture.subject_ref checks)

    @extend_schema_serializer(component_name="EventsIngestInput")
    class InputSerializer(StrictSerializer):
        events = serializers.ListField(
            child=serializers.DictField(), min_length=1, max_length=MAX_EVENTS,
            help_text="Objects, each naming a subject ({\"subject\": {\"id\" | \"external_id\" "
                      "| \"email\": ...}}) and a \"purpose\" or a \"type\" mapped to one by a "
                      "capture rule; optional \"environment\".")
        gpc = serializers.BooleanField(
            required=False, default=False,
            help_text="Your site saw a Global Privacy Control signal from the people these "
                      "events name: their sale or sharing purposes are turned off (source "
                      "`gpc`) before the events are decided.")
        schema_rules = {"properties": {"events": {"items": EVENT_ENVELOPE}}}

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
        responses={200: OutputSerializer, **error_responses(404)},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["gpc"]:
            try:
                refs = [capture.subject_ref(e) for e in data.validated_data["events"]
                        if capture.names_subject(e)]
            except capture.BadEvent as exc:
                raise ValidationError({"events": [str(exc)]}) from None
            gpc_apply_to_refs(refs)
        events, decisions = consent_filter(request, data.validated_data["events"],
                                           scrub_event, required=True)
        return Response({"events": events, "decisions": decisions})


class PurposeStateSerializer(serializers.Serializer):
    slug = serializers.CharField(source="purpose.slug")
    name = serializers.CharField(source="purpose.name")
    legal_basis = serializers.CharField(source="purpose.legal_basis")
    is_sale_or_sharing = serializers.BooleanField(source="purpose.is_sale_or_sharing")
    granted = serializers.BooleanField()
    source = serializers.CharField(help_text="where the choice came from; \"default\" if the "
                                             "subject never chose (their jurisdiction's "
                                             "default)")
    version = serializers.IntegerField(allow_null=True,
                                       help_text="the wording version the choice was made on")
    current_version = serializers.IntegerField(source="purpose.version")


class SubjectPurposesApi(BaseApi):
    """GET needs subjects:read, PATCH subjects:write."""

    @property
    def required_scopes(self):
        return ("subjects:write",) if self.request.method == "PATCH" else ("subjects:read",)

    @extend_schema_serializer(component_name="SubjectPurposesInput")
    class InputSerializer(StrictSerializer):
        purposes = serializers.DictField(child=serializers.BooleanField(), allow_empty=False,
                                         required=False, help_text="purpose slug -> granted")
        gpc = serializers.BooleanField(
            required=False, default=False,
            help_text="Your site saw a Global Privacy Control signal (Sec-GPC: 1 or "
                      "navigator.globalPrivacyControl) from this person: every sale or "
                      "sharing purpose is turned off, source `gpc`, as in the preference "
                      "center. Applied before `purposes`.")

        def validate(self, data):
            if not data.get("purposes") and "gpc" not in self.initial_data:
                raise ValidationError({"purposes": ["give purposes, or gpc"]})
            return data

        # purposes, or gpc (false alone changes nothing), or both
        schema_rules = {"properties": {"purposes": {"minProperties": 1, "maxProperties": 100}},
                        "anyOf": [{"required": ["purposes"]}, {"required": ["gpc"]}]}

        def validate_purposes(self, value):
            if len(value) > 100:
                raise ValidationError("at most 100 purposes")
            return value  # a key that names no purpose is a 404 (by_slug)

    @extend_schema_serializer(component_name="SubjectPurposesOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        purposes = PurposeStateSerializer(many=True, required=False)
        changed = serializers.ListField(child=serializers.CharField(), required=False,
                                        help_text="slugs whose state changed; only for a key "
                                                  "that also holds subjects:read")

    @extend_schema(operation_id="subject_purposes_read",
                   summary="Read a subject's purposes (privacy choices)",
                   responses={200: OutputSerializer, **error_responses(404)})
    def get(self, request, subject_id):
        subject = subject_or_404(subject_id)
        states = purpose_states(subject)
        return Response(self.OutputSerializer({"id": subject.public_id,
                                               "purposes": states}).data)

    @extend_schema(operation_id="subject_purposes_change",
                   summary="Change a subject's purposes (all or none)",
                   request=InputSerializer,
                   responses={200: OutputSerializer, **error_responses(404)})
    def patch(self, request, subject_id):
        subject = subject_or_404(subject_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data.get("purposes") or {}
        purposes = by_slug(Purpose, set(wanted), field="purposes", noun="purpose")
        with transaction.atomic():
            changed = purposes_apply_gpc(subject=subject) if data.validated_data["gpc"] else []
            changed += [slug for slug in purposes_change(
                subject=subject, source=Source.API, actor=request.auth,
                choices={purposes[slug]: on for slug, on in wanted.items()})
                if slug not in changed]
        out = {"id": subject.public_id}
        if can_read(request):
            out["changed"] = changed
            out["purposes"] = purpose_states(subject)
        return Response(self.OutputSerializer(out).data)


class SubjectExportApi(BaseApi):
    """An access request: the subject is emailed a link to everything Hush and the
    catalogued company databases hold on them.

    A key without subjects:read is answered the same 202 whether the id names a
    subject, one without an address, or none: the request goes on only for a
    subject that can be mailed, and the answer shows nothing that tells them apart."""

    required_scopes = ("erasure",)

    @extend_schema_serializer(component_name="SubjectExportOutput")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        status = serializers.CharField()
        export = serializers.UUIDField(required=False,
                                       help_text="the request's id; only with subjects:read")
        requested_at = serializers.DateTimeField(required=False,
                                                 help_text="only with subjects:read")

    @extend_schema(operation_id="subjects_export",
                   summary="Access request: email the subject a download of their data",
                   description="A key holding subjects:read is told of an unknown id (404) "
                               "and of a subject without an email (400); any other key gets "
                               "the same 202 for every id.",
                   request=None,
                   responses={202: OutputSerializer, **error_responses(404)})
    def post(self, request, subject_id):
        if not can_read(request):
            return self._accept_blind(request, subject_id)
        subject = subject_or_404(subject_id)
        refuse_erased(subject)  # 410, before "no email": an erased subject has none
        if not subject.email:
            raise ValidationError({"subject": ["the subject has no email to send the link to"]})
        export = exports.export_request(subject=subject, source=Source.API,
                                        actor=request.auth)
        export.refresh_from_db()
        return Response(self.OutputSerializer({
            "id": subject.public_id, "export": export.key, "status": export.status,
            "requested_at": export.requested_at}).data, status=status.HTTP_202_ACCEPTED)

    def _accept_blind(self, request, subject_id):
        try:
            public_id = uuid.UUID(subject_id)
        except ValueError:  # not an id at all: that tells nothing about anyone
            raise NotFound("no such subject") from None
        subject = subject_by_public_id(public_id)
        # An erased subject too gets the same answer, and nothing is sent.
        if subject is not None and subject.email and subject.erased_at is None:
            exports.export_request(subject=subject, source=Source.API, actor=request.auth)
        return Response(self.OutputSerializer({"id": public_id, "status": "pending"}).data,
                        status=status.HTTP_202_ACCEPTED)


class SubjectReceiptsApi(BaseApi):
    """Consent receipts: each purpose choice with the exact words the person was shown."""

    required_scopes = ("subjects:read",)

    @extend_schema_serializer(component_name="ConsentReceipt")
    class ReceiptSerializer(serializers.Serializer):
        purpose = serializers.CharField(allow_null=True)
        granted = serializers.BooleanField()
        source = serializers.CharField()
        occurred_at = serializers.DateTimeField()
        jurisdiction = serializers.CharField(allow_null=True,
                                             help_text="the law the person was under: gdpr, ccpa")
        version = serializers.IntegerField(allow_null=True, help_text="the wording version")
        language = serializers.CharField(allow_null=True)
        wording = serializers.CharField(allow_null=True,
                                        help_text="the name and description shown, exactly")
        wording_sha256 = serializers.CharField(allow_null=True,
                                               help_text="SHA-256 of `wording` (UTF-8)")

    @extend_schema(operation_id="subject_receipts_read",
                   summary="A subject's consent receipts, with the words they were shown",
                   responses={200: inline_serializer(name="SubjectReceipts", fields={
                       "id": serializers.UUIDField(),
                       "receipts": ReceiptSerializer(many=True)}), **error_responses(404)})
    def get(self, request, subject_id):
        subject = subject_or_404(subject_id)
        receipts = self.ReceiptSerializer(receipts_of(subject), many=True).data
        return Response({"id": str(subject.public_id), "receipts": receipts})
