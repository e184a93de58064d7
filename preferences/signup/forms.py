"""The sign-up form: an address and the email topics to sign up to."""

from django import forms
from django.utils.translation import gettext_lazy as _

from preferences.models import Topic
from preferences.selectors import topics_of


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=320)
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=(), required=True)

    def __init__(self, *args, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = list(topics_of(brand).filter(channel=Topic.Channel.EMAIL))
        self.fields["topics"].choices = [(t.slug, t.name) for t in self.topics]
