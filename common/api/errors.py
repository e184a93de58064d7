"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from common.gone import Gone


class GoneApi(exceptions.APIException):
    status_code = 410
    default_code = "gone"
    default_detail = "gone for good: nothing was changed"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is larger than this server accepts"
    default_code = "too_large"


def exception_handler(exc, context):
    if isinstance(exc, Gone):  # e.g. an erased subject: refused, nothing written
        exc = GoneApi(detail=str(exc) or GoneApi.default_detail, code=exc.code)
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):  # Django's, raised reading
        exc = BodyTooLarge()                                    # the body: JSON, not HTML
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"error": {"code": "invalid", "message": "the request is not valid",
                                   "fields": detail}}
    else:
        code = getattr(exc, "default_code", "error")
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else code
        response.data = {"error": {"code": codes if isinstance(codes, str) else code,
                                   "message": str(getattr(exc, "detail", exc))}}
    return response


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False),
            },
        )
    },
)

_DESCRIPTIONS = {
    400: "The request is not valid; nothing changed.",
    401: "No API key, or an invalid one.",
    403: "The API key lacks the scope this operation needs.",
    404: "No such subject, topic or purpose (the request was well formed).",
    409: "The email and external id belong to different subjects.",
    410: "The subject was erased: nothing is changed or sent for it, ever.",
    413: "The request body is larger than this server accepts; nothing changed.",
    429: "Too many requests for this API key.",
}


def error_responses(*statuses: int) -> dict:
    """Error responses every operation documents, plus the ones given."""
    codes = sorted({400, 401, 403, 413, 429, *statuses})
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code])
            for code in codes}
