import re
from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_ACTION = re.compile(r"^[a-z0-9_.:-]{1,64}$")
_REF = re.compile(r"^[a-z0-9_.-]{1,64}(:[A-Za-z0-9_.:-]{0,128})?$")


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Code"), max_length=16, strip=True,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                          "inputmode": "numeric",
                                                          "autofocus": True}))


class AuditFilterForm(forms.Form):
    """The audit trail's filters. Values are codes and ids, never free text, so a
    filter can be recorded in the trail when it is exported."""

    since = forms.DateTimeField(required=False, label=_("From (UTC)"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(required=False, label=_("To (UTC)"),
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    actor = forms.CharField(required=False, max_length=80, label=_("Actor"),
                            help_text="system, user:7, api_key:abc123, subject:<id>")
    action = forms.CharField(required=False, max_length=64, label=_("Action"),
                             help_text=_("e.g. delivery.retried"))
    target = forms.CharField(required=False, max_length=200, label=_("Target"),
                             help_text=_("type:id, e.g. preferences.subject:<id>"))

    def clean_actor(self):
        value = self.cleaned_data["actor"]
        if value and not _REF.match(value):
            raise forms.ValidationError(_("Use a type and an id, like user:7."))
        return value

    def clean_action(self):
        value = self.cleaned_data["action"]
        if value and not _ACTION.match(value):
            raise forms.ValidationError(_("An action is lower-case letters, digits and dots."))
        return value

    def clean_target(self):
        value = self.cleaned_data["target"]
        if value and not _REF.match(value):
            raise forms.ValidationError(_("Use a type and an id, like preferences.subject:<id>."))
        return value

    def filters(self) -> dict:
        """Only what was given; datetimes in UTC ISO form (safe to record)."""
        out = {}
        for key in ("since", "until", "actor", "action", "target"):
            value = self.cleaned_data.get(key)
            if value:
                if isinstance(value, datetime):
                    if timezone.is_naive(value):
                        value = timezone.make_aware(value, timezone.UTC)
                    value = value.isoformat()
                out[key] = value
        return out


class SubjectLookupForm(forms.Form):
    email = forms.EmailField(label=_("Exact email address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
