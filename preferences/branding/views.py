"""A brand's stylesheet and logo, served by Hush itself (no CDN, no inline style)."""

from django.http import Http404, HttpResponse
from django.utils.http import http_date
from django.views.decorators.http import require_GET

from preferences.branding import style
from preferences.branding.selectors import DEFAULT_SLUG, settings_brand
from preferences.models import Brand

CACHE = "public, max-age=300"


def _brand(slug: str) -> Brand:
    brand = Brand.objects.filter(slug=slug).first()
    if brand is None and slug == DEFAULT_SLUG:
        brand = settings_brand()
    if brand is None:
        raise Http404
    return brand


@require_GET
def stylesheet(request, slug):
    response = HttpResponse(style.stylesheet(_brand(slug)), content_type="text/css")
    response["Cache-Control"] = CACHE
    return response


@require_GET
def logo(request, slug):
    brand = _brand(slug)
    if not brand.logo_type:
        raise Http404
    response = HttpResponse(bytes(brand.logo), content_type=brand.logo_type)
    response["Cache-Control"] = CACHE
    response["X-Content-Type-Options"] = "nosniff"
    # An SVG opened on its own must not run anything.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    if brand.updated_at:
        response["Last-Modified"] = http_date(brand.updated_at.timestamp())
    return response
