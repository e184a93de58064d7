"""Who is acting in this request, for audit events recorded far from the view
(role and permission changes arrive as m2m signals, which carry no request)."""

from contextvars import ContextVar

_current_user: ContextVar = ContextVar("hush_current_user", default=None)


def current_user():
    return _current_user.get()


def current_actor(get_response):
    def middleware(request):
        token = _current_user.set(request.user if request.user.is_authenticated else None)
        try:
            return get_response(request)
        finally:
            _current_user.reset(token)

    return middleware
