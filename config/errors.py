"""Hush's own error pages (404, 403, 500), for subscribers and for the console.

The page never repeats the path asked for: a subscriber's link carries a token. The
500 page is rendered without the request, so no context processor (session, user,
database) runs while something is already broken."""

from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

CONSOLE = ("/console/", "/admin/")


def _console(request) -> bool:
    return request.path.startswith(CONSOLE)


def page_not_found(request, exception=None):
    return render(request, "404.html", {"console": _console(request)}, status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", {"console": _console(request)}, status=403)


def csrf_failure(request, reason=""):
    """A form sent without its token (an old tab, a blocked cookie): the 403 page."""
    return permission_denied(request)


def server_error(request):
    body = loader.get_template("500.html").render({"console": _console(request)})
    return HttpResponse(body, status=500)


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers and tools that ask for /favicon.ico without reading the page's icon link."""
    try:
        url = static("favicon.svg")
    except ValueError:  # no manifest entry: collectstatic has not run
        return HttpResponseNotFound()
    response = HttpResponse(status=301)
    response["Location"] = url
    return response
