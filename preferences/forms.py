"""Forms of the subscriber pages: asking for a link, and one preference-center action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from preferences.models import Feedback
from preferences.services import PAUSE_WEEKS


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=320)


class CenterActionForm(forms.Form):
    """One action on the preference center; which fields matter depends on `action`."""

    ACTIONS = ("save", "subscribe", "unsubscribe", "pause", "pause_all", "resume_all",
               "unsubscribe_all", "resubscribe_all", "erase", "save_purposes", "purpose_on",
               "purpose_off", "purposes_all_off", "export", "undo")
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    topic = forms.SlugField(required=False)
    purpose = forms.SlugField(required=False)
    weeks = forms.TypedChoiceField(choices=[(w, w) for w in PAUSE_WEEKS], coerce=int,
                                   required=False)
    confirm = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in ("subscribe", "unsubscribe", "pause") and not data.get("topic"):
            raise forms.ValidationError(_("Choose a topic."))
        if action in ("purpose_on", "purpose_off") and not data.get("purpose"):
            raise forms.ValidationError(_("Choose a purpose."))
        if action in ("pause", "pause_all") and not data.get("weeks"):
            raise forms.ValidationError(_("Choose how long to pause."))
        if action == "erase" and not data.get("confirm"):
            raise forms.ValidationError(_("Tick the box to confirm you want your data erased."))
        return data


REASON_CHOICES = Feedback.Reason.choices
