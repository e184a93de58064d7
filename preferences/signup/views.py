"""The public sign-up form and the confirmation link of double opt-in."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

import audit
from preferences import selectors, services
from preferences.branding.selectors import brand_named, brand_of_topics, template_names
from preferences.email import preferences_url
from preferences.models import Source, Topic
from preferences.signup import services as signup_services
from preferences.signup.forms import SignupForm
from preferences.tokens import BadToken, read_confirmation_token
from preferences.views import invalid_link, use_locale


def signup(request):
    """The public sign-up form: an untrusted source, so double opt-in. Answers the
    same whether or not the address is known."""
    brand = brand_named(request.GET.get("brand"))
    form = SignupForm(request.POST if request.method == "POST" else None, brand=brand)
    page = {"form": form, "brand": brand}
    template = template_names(brand, "preferences/signup.html")
    if request.method != "POST":
        return render(request, template, page)
    if not form.is_valid():
        return render(request, template, page, status=400)
    if is_ratelimited(request, group="signup-client", key="ip",
                      rate=settings.HUSH_SIGNUP_RATE_PER_CLIENT, increment=True):
        return render(request, template_names(brand, "preferences/link_rate_limited.html"),
                      page, status=429)
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
        return render(request, template, page, status=400)
    return render(request, template_names(brand, "preferences/signup_sent.html"), page)


def confirm(request, token):
    """GET shows a button and changes nothing (scanners prefetch links); POST confirms."""
    try:
        subject_id, topics = read_confirmation_token(token)
    except BadToken:
        return invalid_link(request)
    subject = selectors.subject_by_public_id(subject_id)
    if subject is None:
        return invalid_link(request)  # expired and purged, or erased
    use_locale(subject)
    brand = brand_of_topics(Topic.objects.filter(slug__in=topics).select_related("brand"))
    template = template_names(brand, "preferences/confirm.html")
    page = {"brand": brand, "managed_email": subject.email}
    if request.method == "POST":
        signup_services.subject_confirm(subject=subject, topics=topics)
        return render(request, template, {**page, "done": True,
                                          "preferences_url": preferences_url(subject, brand)})
    return render(request, template, {**page, "done": False})
