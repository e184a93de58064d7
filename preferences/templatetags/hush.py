"""Template filters of the subscriber pages: texts in the reader's language, masked
addresses."""

from django import template

from preferences.branding.selectors import mask_email, translated

register = template.Library()


@register.filter
def tr(obj, field: str) -> str:
    """`{{ topic|tr:"name" }}`: the topic's (purpose's, brand's) text in this language."""
    return translated(obj, field) if obj is not None else ""


@register.filter
def masked(email) -> str:
    return mask_email(email)
