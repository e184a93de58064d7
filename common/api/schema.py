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
        _no_control_characters(schema)
        rules = copy.deepcopy(serializer.schema_rules)
        # oneOf/anyOf/allOf/not wait for `require_ruled_bodies` (a postprocessing hook): the
        # enum hook before it would turn their `enum`s into references to whole enums.
        combinators = {k: rules.pop(k) for k in _COMBINATORS if k in rules}
        _merge(schema, rules)
        if combinators:
            schema[_DEFERRED] = combinators
        return schema


TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _no_control_characters(schema: dict) -> None:
    """Every free string an input takes says what the parser refuses (a pattern, a
    format or an enum already rules control characters out)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "string" and not ({"pattern", "format", "enum"} & set(node)):
            node["pattern"] = TEXT
        for key in ("properties",):
            stack.extend(node.get(key, {}).values())
        for key in ("items", "additionalProperties"):
            stack.append(node.get(key))


_COMBINATORS = ("oneOf", "anyOf", "allOf", "not")
_DEFERRED = "x-hush-rules"


def require_ruled_bodies(result, generator, request, public):
    """The serializers' cross-field rules put in place; and since drf-spectacular marks
    a body required only when a field is, one whose rules require a field is too."""
    schemas = result.get("components", {}).get("schemas", {})
    for component in schemas.values():
        if isinstance(component, dict) and _DEFERRED in component:
            component.update(component.pop(_DEFERRED))
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            for media in body.get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if {"oneOf", "anyOf", "allOf"} & set(schemas.get(ref.rsplit("/", 1)[-1], {})):
                    body["required"] = True
    return result


def _merge(schema: dict, rules: dict) -> None:
    """Rules into the generated schema, objects merged key by key (a rule on one
    property's items leaves the property's generated type and limits)."""
    for key, value in rules.items():
        if isinstance(value, dict) and isinstance(schema.get(key), dict):
            _merge(schema[key], value)
        else:
            schema[key] = value
