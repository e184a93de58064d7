"""The WSGI application gunicorn serves (`gunicorn config.wsgi`).

`/u/<token>/` (one-click, the busiest path by far: mail clients POST it, mail
scanners GET it) goes through the same middleware minus what it never uses: no
session, user, second factor, messages, CSRF check (the view is exempt: RFC 8058) or
static files. Every other middleware (security headers, framing, language, whatever
is added later) stays, in order. Everything else gets the whole stack."""

import os

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

ONE_CLICK_PREFIX = "/u/"
NOT_FOR_ONE_CLICK = frozenset({
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audit.console.middleware.current_actor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
})


class OneClickHandler(WSGIHandler):
    """A handler whose middleware chain is MIDDLEWARE without NOT_FOR_ONE_CLICK."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        # Django builds the chain from settings.MIDDLEWARE: give it the short list
        # while it does (once, at start-up, before any request).
        settings.MIDDLEWARE = [m for m in full if m not in NOT_FOR_ONE_CLICK]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


_everything = get_wsgi_application()
_one_click = OneClickHandler()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(ONE_CLICK_PREFIX):
        return _one_click(environ, start_response)
    return _everything(environ, start_response)
