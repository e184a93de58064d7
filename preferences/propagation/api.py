"""Destinations' health and retrying dead letters, for operators' tooling."""

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.api.base import BaseApi, StrictSerializer
from common.api.errors import error_responses
from preferences.models import Destination
from preferences.propagation.delivery import deliveries_retry
from preferences.propagation.selectors import destination_health


class DestinationHealthApi(BaseApi):
    required_scopes = ("deliveries:manage",)

    @extend_schema_serializer(component_name="DestinationHealth")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        kind = serializers.CharField()
        enabled = serializers.BooleanField()
        paused = serializers.BooleanField()
        last_success_at = serializers.DateTimeField(allow_null=True)
        pending = serializers.IntegerField()
        failed = serializers.IntegerField()
        delivered = serializers.IntegerField()
        oldest_pending_seconds = serializers.FloatField(allow_null=True)
        failure_rate = serializers.FloatField(allow_null=True)
        latency_p50_ms = serializers.FloatField(allow_null=True)
        latency_p95_ms = serializers.FloatField(allow_null=True)

    @extend_schema(operation_id="destinations_health",
                   summary="Every destination with its backlog, failures and latency",
                   responses={200: OutputSerializer(many=True), **error_responses()})
    def get(self, request):
        rows = [
            {"id": d.pk, "name": d.name, "kind": d.kind, "enabled": d.enabled,
             **destination_health(d)}
            for d in Destination.objects.order_by("name")
        ]
        return Response(self.OutputSerializer(rows, many=True).data)


class DeliveriesRetryApi(BaseApi):
    required_scopes = ("deliveries:manage",)

    @extend_schema_serializer(component_name="DeliveriesRetryInput")
    class InputSerializer(StrictSerializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
            required=False, max_length=10_000,
        )
        all = serializers.BooleanField(required=False, default=False)
        schema_rules = {"oneOf": [
            {"properties": {"ids": {"minItems": 1}}, "required": ["ids"],
             "not": {"properties": {"all": {"enum": [True]}}, "required": ["all"]}},
            {"properties": {"all": {"enum": [True]}}, "required": ["all"],
             "not": {"properties": {"ids": {"minItems": 1}}, "required": ["ids"]}},
        ]}

        def validate(self, data):
            if bool(data.get("ids")) == bool(data.get("all")):
                raise ValidationError("give either ids or all: true")
            return data

    @extend_schema_serializer(component_name="DeliveriesRetryOutput")
    class OutputSerializer(serializers.Serializer):
        retried = serializers.IntegerField(help_text="failed deliveries queued again")

    @extend_schema(operation_id="deliveries_retry",
                   summary="Queue failed deliveries (dead letters) again",
                   request=InputSerializer,
                   responses={200: OutputSerializer, **error_responses()})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = None if data.validated_data["all"] else data.validated_data["ids"]
        return Response({"retried": deliveries_retry(ids=ids, actor=request.auth)})
