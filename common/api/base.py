"""The base of every API view: strict input, the JSON parser (`parsers.py`), and the small
lookups views share."""

import re

from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from common.api.parsers import CONTROL_CHARACTERS, JSONParser

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, so a typo never passes silently."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError({name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


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
    """The rows named by slug; any slug that names none is a 400 on `field`."""
    found = {row.slug: row for row in model.objects.filter(slug__in=slugs)}
    unknown = sorted(slugs - set(found))
    if unknown:
        raise ValidationError({field: [f"unknown {noun}: {', '.join(unknown)}"]})
    return found


def can_read(request) -> bool:
    """Whether the key may learn a subject's state. A write-only key may change
    consent but must not learn whether an address was already known."""
    return request.auth.has_scopes(("subjects:read",))
