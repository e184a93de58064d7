"""{% load plain %}: the console's figures in words (see audit.console.plain)."""

from django import template

from audit.console import plain

register = template.Library()

register.filter("duration_words", plain.duration_words)
register.filter("milliseconds_words", plain.milliseconds_words)
register.filter("details_fields", plain.details_fields)
register.filter("status_words", plain.status_words)
