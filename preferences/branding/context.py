"""The template context every page gets: the default brand, unless the view chose one."""

from django.utils.functional import SimpleLazyObject

from preferences.branding.selectors import default_brand


def context(request) -> dict:
    # Lazy: the console's pages never look at it, so they never query it.
    return {"brand": SimpleLazyObject(default_brand)}
