"""Suppress or lift an address through the API (scope subjects:write). Both answer 204
whatever the address's state, so the answer never tells whether it was known or listed."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.api.base import BaseApi, StrictSerializer
from common.api.errors import error_responses
from preferences.models import Source, Suppression
from preferences.suppressions import (
    LIFTABLE,
    NotLiftable,
    suppression_by_address_add,
    suppression_by_address_lift,
)


class SuppressionAddApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema_serializer(component_name="SuppressionAddInput")
    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=320)
        reason = serializers.ChoiceField(choices=sorted(r.value for r in LIFTABLE),
                                         default=Suppression.Reason.MANUAL.value)

    @extend_schema(operation_id="suppressions_add", summary="Never mail this address again",
                   description="Stored as a keyed digest only. A reason only hardens (a "
                               "person's own opt-out becomes this one). 204 either way.",
                   request=InputSerializer,
                   responses={204: OpenApiResponse(description="Suppressed."),
                              **error_responses()})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            suppression_by_address_add(email=data.validated_data["email"],
                                       reason=data.validated_data["reason"], source=Source.API,
                                       actor=request.auth)
        except ValueError as exc:
            raise ValidationError({"email": [str(exc)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class SuppressionLiftApi(BaseApi):
    required_scopes = ("subjects:write",)

    @extend_schema_serializer(component_name="SuppressionLiftInput")
    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=320)

    @extend_schema(operation_id="suppressions_lift", summary="Lift a manual, bounce or "
                   "complaint suppression",
                   description="Never lifts an erasure or a person's own unsubscribe from "
                               "everything. 204 whatever the address's state.",
                   request=InputSerializer,
                   responses={204: OpenApiResponse(description="Lifted, or nothing to lift."),
                              **error_responses()})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            suppression_by_address_lift(email=data.validated_data["email"], source=Source.API,
                                        actor=request.auth)
        except ValueError as exc:
            raise ValidationError({"email": [str(exc)]}) from None
        except NotLiftable:
            pass  # the same answer: a key must not learn that the address was erased
        return Response(status=status.HTTP_204_NO_CONTENT)
