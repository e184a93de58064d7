"""The sign-up form: an address and the email topics to sign up to."""

from django import forms
from django.utils.translation import gettext_lazy as _

from preferences.models import Topic
from preferences.selectors import topics_of


class SignupForm(forms.Form):
    """Each error says what to do; the page puts the field's label before it."""

    email = forms.EmailField(label=_("Your email address"), max_length=320, error_messages={
        "required": _("Enter your email address."),
        "invalid": _("Enter a valid email address, like name@example.com.")})
    topics = forms.MultipleChoiceField(label=_("Topics"), choices=(), required=True,
                                       error_messages={
                                           "required": _("Choose at least one topic."),
                                           "invalid_choice": _("Choose topics from the list.")})

    def __init__(self, *args, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics_shown = list(topics_of(brand).filter(channel=Topic.Channel.EMAIL))
        self.fields["topics"].choices = [(t.slug, t.name) for t in self.topics_shown]
