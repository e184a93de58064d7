"""Request guards every page and the API share.

`refuse_control_characters`: a path, query or form value holding a control character, NUL
or a lone surrogate is a 400 before any view runs, so no view can half-do its work
and fail on storing it (PostgreSQL refuses NUL). Tab, newline and carriage return
are text. The API checks the same in its base view, after the key; the email
providers' signed webhooks (`/inbound/`) carry mail as the provider sent it and are
left to their own parsers.

`no_store`: no page or answer Hush writes may be kept by a browser or proxy cache
(`Cache-Control: no-store`): each shows a person's choices, the console's records
or a capability link. Static files are served before it (WhiteNoise) and keep theirs.

`json_errors_for_api`: every failure under `/api/` answers the API's one error shape
(`{"error": {"code", "message"}}`), even those Django answers itself (an unknown
route, a body too large, a crash), never an HTML page.
"""

import json

from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request

from common.api.parsers import CONTROL_CHARACTERS

API_PREFIX = "/api/"
# The API checks its own, once the key is known (common/api/base.py: a request without
# a key is a 401 first); the providers' webhooks are left to their parsers.
UNCHECKED_PREFIXES = (API_PREFIX, "/inbound/")
_CODES = {400: "invalid", 401: "not_authenticated", 403: "permission_denied",
          404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
          413: "too_large", 415: "unsupported_media_type", 429: "throttled",
          500: "server_error", 502: "bad_gateway", 503: "unavailable"}


def api_error(status: int, message: str, code: str | None = None) -> HttpResponse:
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message}}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


class BadInput(Exception):
    """What `bad_request` is given: it shows no detail (the value may be personal)."""


def holds_control_character(query) -> bool:
    return any(CONTROL_CHARACTERS.search(key) or
               any(CONTROL_CHARACTERS.search(value) for value in values)
               for key, values in query.lists())


def refuse_control_characters(get_response):
    def middleware(request):
        if not request.path.startswith(UNCHECKED_PREFIXES):
            values = [request.GET]
            try:
                if request.method == "POST" and request.content_type in (
                        "application/x-www-form-urlencoded", "multipart/form-data"):
                    values.append(request.POST)
            except MultiPartParserError:
                return bad_request(request, BadInput())
            if (CONTROL_CHARACTERS.search(request.path)
                    or any(holds_control_character(query) for query in values)):
                return bad_request(request, BadInput())
        return get_response(request)

    return middleware


def json_errors_for_api(get_response):
    def middleware(request):
        response = get_response(request)
        if (request.path.startswith(API_PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            return api_error(response.status_code, _MESSAGES.get(
                response.status_code, "the request failed"))
        return response

    return middleware


_MESSAGES = {400: "the request is not valid", 404: "no such API operation",
             405: "method not allowed", 413: "the request body is too large",
             500: "the server could not answer this request"}


def no_store(get_response):
    def middleware(request):
        response = get_response(request)
        if not response.has_header("Cache-Control") or "no-store" not in response[
                "Cache-Control"]:
            patch_cache_control(response, no_store=True, no_cache=True, private=True,
                                max_age=0)
        return response

    return middleware
