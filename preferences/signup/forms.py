"""The sign-up form: an address and the email topics to sign up to."""

from django import forms
from django.utils.translation import gettext_lazy as _

from preferences.models import Topic


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=320)
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=(), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [
            (t.slug, t.name) for t in Topic.objects.filter(channel=Topic.Channel.EMAIL)]
