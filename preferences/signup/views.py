"""The public sign-up form and the confirmation link of double opt-in."""

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django_ratelimit.core import is_ratelimited

from common.crypto import email_digest, encrypt
from common.tasks import task_send
from preferences import selectors
from preferences.branding.selectors import brand_named, brand_of_topics, template_names
from preferences.email import preferences_url
from preferences.erased import SubjectErased
from preferences.models import Topic
from preferences.signup import services as signup_services
from preferences.signup.forms import SignupForm
from preferences.tokens import BadToken, read_confirmation_token
from preferences.views import erased_page, invalid_link, use_locale


def signup(request):
    """The public sign-up form: an untrusted source, so double opt-in. Answers the
    same, and as fast, whether or not the address is known: everything that depends
    on the address happens in a task (`signup_receive`), as `/p/` does."""
    brand = brand_named(request.GET.get("brand"))
    form = SignupForm(request.POST if request.method == "POST" else None, brand=brand)
    page = {"form": form, "brand": brand}
    template = template_names(brand, "preferences/signup.html")
    if request.method != "POST":
        return render(request, template, page)
    if not form.is_valid():
        return render(request, template, page, status=400)
    email = form.cleaned_data["email"]
    per_client = is_ratelimited(request, group="signup-client", key="ip",
                                rate=settings.HUSH_SIGNUP_RATE_PER_CLIENT, increment=True)
    per_address = is_ratelimited(request, group="signup-address",
                                 key=lambda group, req: email_digest(email),
                                 rate=settings.HUSH_SIGNUP_RATE_PER_ADDRESS, increment=True)
    if per_client or per_address:
        return render(request, template_names(brand, "preferences/link_rate_limited.html"),
                      page, status=429)
    language = translation.get_language()
    task_send("preferences.signup_receive", sealed_email=encrypt(email),
              topics=list(form.cleaned_data["topics"]),
              locale=language if language in dict(settings.LANGUAGES) else None)
    return render(request, template_names(brand, "preferences/signup_sent.html"), page)


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
    brand = brand_of_topics(Topic.objects.filter(slug__in=topics).select_related("brand"))
    template = template_names(brand, "preferences/confirm.html")
    page = {"brand": brand, "managed_email": subject.email}
    if request.method == "POST":
        try:
            signup_services.subject_confirm(subject=subject, topics=topics)
        except SubjectErased:
            return erased_page(request)
        return render(request, template, {**page, "done": True,
                                          "preferences_url": preferences_url(subject, brand)})
    return render(request, template, {**page, "done": False})
