"""API keys (djangorestframework-api-key, hashed at rest) with scopes.

The key model is named by the `HUSH_API_KEY_MODEL` setting, as Django names its
user model: the model lives in an app, and this module imports none.
"""

from django.apps import apps
from django.conf import settings
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework_api_key.permissions import KeyParser

_parser = KeyParser()


def api_key_model():
    """The API key model (`HUSH_API_KEY_MODEL`, an AbstractAPIKey with `scopes`)."""
    return apps.get_model(settings.HUSH_API_KEY_MODEL, require_ready=True)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`. A missing or bad key answers 401."""

    def authenticate(self, request):
        key = _parser.get(request._request)
        if not key:
            return None
        model = api_key_model()
        try:
            api_key = model.objects.get_from_key(key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed("invalid API key") from None
        if api_key.has_expired or api_key.revoked:
            raise exceptions.AuthenticationFailed("API key revoked or expired")
        return (None, api_key)

    def authenticate_header(self, request):
        return "Api-Key"


class HasScopes(permissions.BasePermission):
    """The view's `required_scopes` must all be held by the key."""

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, api_key_model()):
            raise exceptions.NotAuthenticated("an API key is required")
        required = getattr(view, "required_scopes", None)
        if required is None:
            return False  # a view that forgets to declare scopes is closed
        if not api_key.has_scopes(required):
            self.message = f"this API key lacks the scope {' and '.join(required)}"
            return False
        return True


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, api_key_model()):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
