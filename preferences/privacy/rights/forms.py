"""The `/privacy/` form and the code form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from preferences.models import RightsRequest


class RightsRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What would you like us to do?"),
                             choices=RightsRequest.Kind.choices, widget=forms.RadioSelect)
    email = forms.EmailField(label=_("The email address the request is about"),
                             max_length=320)
    new_email = forms.EmailField(label=_("The correct email address (for a correction)"),
                                 max_length=320, required=False)
    method = forms.ChoiceField(label=_("How should we check it is you?"),
                               choices=RightsRequest.Method.choices, widget=forms.RadioSelect,
                               initial=RightsRequest.Method.CODE)
    agent = forms.BooleanField(label=_("I am an authorized agent filing for this person"),
                               required=False)
    agent_name = forms.CharField(label=_("Your name (the agent)"), max_length=200,
                                 required=False)
    agent_declaration = forms.CharField(
        label=_("Your declaration: that the person authorized you, and how"),
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("kind") == RightsRequest.Kind.CORRECTION and not data.get("new_email"):
            self.add_error("new_email", _("Give the correct email address."))
        if data.get("agent") and not (data.get("agent_name", "").strip()
                                      and data.get("agent_declaration", "").strip()):
            self.add_error("agent_declaration",
                           _("An agent gives their name and a declaration."))
        if not data.get("agent"):
            data["agent_name"] = data["agent_declaration"] = ""
        return data


class CodeForm(forms.Form):
    code = forms.RegexField(label=_("The 6-digit code from the email"), regex=r"^\s*\d{6}\s*$",
                            max_length=12,
                            error_messages={"invalid": _("The code is 6 digits.")})
