"""Teaches drf-spectacular what it cannot see: how API keys are sent, and that input
serializers are strict."""

import copy

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "common.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": 'Send "Authorization: Api-Key <key>".'}


class StrictSerializerScheme(OpenApiSerializerExtension):
    """Input serializers that refuse unknown fields say so (`additionalProperties: false`),
    and are documented whole even under PATCH: the views never validate them partially."""

    target_class = "common.api.base.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        serializer = copy.copy(force_instance(self.target))
        serializer.partial = False
        schema = auto_schema._map_serializer(serializer, direction, bypass_extensions=True)
        for name, field in serializer.fields.items():
            if isinstance(field, serializers.ListSerializer) and name in schema["properties"]:
                if not field.allow_empty:
                    schema["properties"][name]["minItems"] = 1
                if field.max_length is not None:
                    schema["properties"][name]["maxItems"] = field.max_length
        schema["additionalProperties"] = False
        return schema
