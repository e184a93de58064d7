"""Django's LocaleMiddleware as the one-click path needs it (`config/wsgi.py`): the
language from the cookie or Accept-Language, `Vary: Accept-Language` and
`Content-Language` on the answer, exactly as for every page. What it skips: looking
for a language prefix in the URL (Hush has no `i18n_patterns`), which cost about a
tenth of a one-click GET."""

from django.utils import translation
from django.utils.cache import patch_vary_headers


class OneClickLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
