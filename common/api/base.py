"""The base of every API view: strict input, the JSON parser (`parsers.py`), and the small
lookups views share."""

import re

from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import APIView

from common.api.parsers import CONTROL_CHARACTERS, JSONParser

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, so a typo never passes silently."""

    # Values of another JSON type than the schema says are refused too (DRF alone reads 0
    # as false and 7 as "7"). `schema_rules`: JSON Schema keywords (oneOf, anyOf, not ...)
    # stating the cross-field rules `validate` enforces; common/api/schema.py adds them to
    # the serializer's OpenAPI component, so the schema and the server agree.
    schema_rules: dict = {}

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError({name: ["unknown field"] for name in unknown})
            if type(data) is dict:  # decoded JSON (a form's values are all strings)
                wrong = {name: [message] for name, value in data.items()
                         if (message := wrong_type(self.fields[name], value))}
                if wrong:
                    raise ValidationError(wrong)
        return super().to_internal_value(data)


_STRINGS = (serializers.CharField, serializers.UUIDField, serializers.DateTimeField,
            serializers.DateField, serializers.ChoiceField)


def wrong_type(field, value) -> str | None:
    """Why `value` (decoded JSON) is not of the JSON type `field` is documented as."""
    if value is None:
        return None if field.allow_null else "may not be null"
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) \
            else "must be an integer"
    if isinstance(field, _STRINGS):
        return None if isinstance(value, str) else "must be a string"
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "must be a list"
        return next((f"item {i}: {m}" for i, item in enumerate(value)
                     if (m := wrong_type(field.child, item))), None)
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return "must be an object"
        return next((f"{key}: {m}" for key, item in value.items()
                     if (m := wrong_type(field.child, item))), None)
    return None  # JSON fields and nested serializers check themselves


class BaseApi(APIView):
    """Base of every API view (each also declares its `required_scopes`)."""

    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the key, its scopes, its rate first
        # (a path parameter is an id, parsed strictly: a NUL there is simply no such id)
        for key, values in request.query_params.lists():
            if CONTROL_CHARACTERS.search(key) or any(map(CONTROL_CHARACTERS.search, values)):
                raise ValidationError({key: ["holds a control character"]})


def by_slug(model, slugs: set[str], *, field: str, noun: str) -> dict:
    """The rows named by slug; any slug that names none is a 404 ("no such topic"): the
    request was well formed, what it names does not exist (as for a subject id)."""
    found = {row.slug: row for row in model.objects.filter(
        slug__in=[s for s in slugs if SLUG.fullmatch(s)])}  # no other string can be one
    unknown = sorted(slugs - set(found))
    if unknown:
        raise NotFound(f"{field}: unknown {noun}: {', '.join(map(repr, unknown))}")
    return found


def can_read(request) -> bool:
    """Whether the key may learn a subject's state. A write-only key may change
    consent but must not learn whether an address was already known."""
    return request.auth.has_scopes(("subjects:read",))
