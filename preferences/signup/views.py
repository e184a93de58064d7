"""The public sign-up form and the confirmation link of double opt-in."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

import audit
from preferences import selectors, services
from preferences.email import preferences_url
from preferences.erased import SubjectErased
from preferences.models import Source
from preferences.signup import services as signup_services
from preferences.signup.forms import SignupForm
from preferences.tokens import BadToken, read_confirmation_token
from preferences.views import erased_page, invalid_link, use_locale


def signup(request):
    """The public sign-up form: an untrusted source, so double opt-in. Answers the
    same whether or not the address is known."""
    form = SignupForm(request.POST or None)
    if request.method != "POST":
        return render(request, "preferences/signup.html", {"form": form})
    if not form.is_valid():
        return render(request, "preferences/signup.html", {"form": form}, status=400)
    if is_ratelimited(request, group="signup-client", key="ip",
                      rate=settings.HUSH_SIGNUP_RATE_PER_CLIENT, increment=True):
        return render(request, "preferences/link_rate_limited.html", status=429)
    language = translation.get_language()
    try:
        services.subject_upsert(
            actor=audit.SYSTEM, source=Source.SIGNUP,
            email=form.cleaned_data["email"],
            locale=language if language in dict(settings.LANGUAGES) else None,
            subscriptions={slug: True for slug in form.cleaned_data["topics"]},
            double_opt_in=True)
    except (ValueError, services.NotFound):  # an address invalid once normalised; a topic gone
        form.add_error("email", _("Enter a valid email address."))
        return render(request, "preferences/signup.html", {"form": form}, status=400)
    return render(request, "preferences/signup_sent.html")


def confirm(request, token):
    """GET shows a button and changes nothing (scanners prefetch links); POST confirms."""
    try:
        subject_id, topics = read_confirmation_token(token)
    except BadToken:
        return invalid_link(request)
    subject = selectors.subject_by_public_id(subject_id)
    if subject is None:
        return invalid_link(request)  # expired and purged
    if subject.erased_at is not None:
        return erased_page(request)
    use_locale(subject)
    if request.method == "POST":
        try:
            signup_services.subject_confirm(subject=subject, topics=topics)
        except SubjectErased:
            return erased_page(request)
        return render(request, "preferences/confirm.html",
                      {"done": True, "preferences_url": preferences_url(subject)})
    return render(request, "preferences/confirm.html", {"done": False})
