"""Pages a subscriber uses: one-click unsubscribe (and resubscribe) and the page that
emails a fresh link. (The preference center is in `center/`, sign-up in `signup/`, the
download in `privacy/`.)"""

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from common.crypto import email_digest
from common.tasks import task_send
from preferences import selectors, services
from preferences.branding.selectors import (
    brand_cached,
    brand_named,
    brand_of_topic,
    template_names,
    translated,
)
from preferences.email import preferences_url
from preferences.forms import REASON_CHOICES, LinkRequestForm
from preferences.models import Feedback, Source, Topic
from preferences.tokens import (
    BadToken,
    ExpiredToken,
    read_preferences_token,
    read_unsubscribe_token,
)

ONE_CLICK_FIELDS = {"List-Unsubscribe", "reason", "comment"}


def use_locale(subject) -> None:
    """Speak the subject's language when we know it (else Accept-Language stands)."""
    if subject.locale and subject.locale in dict(settings.LANGUAGES):
        translation.activate(subject.locale)


def invalid_link(request):
    brand = brand_named(request.GET.get("brand"))
    return render(request, template_names(brand, "preferences/link_invalid.html"),
                  {"brand": brand}, status=404)


@csrf_exempt  # RFC 8058: mail clients POST without cookies; the signed token is the authority
def one_click(request, token):
    """GET shows the page and changes nothing (scanners prefetch links); POST with
    `List-Unsubscribe=One-Click` unsubscribes and answers 200, never a redirect."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        claim = read_unsubscribe_token(token)
    except BadToken:
        return invalid_link(request)

    if request.method == "GET":
        subject = selectors.subject_by_public_id(claim.subject_id)
        topic = Topic.objects.filter(slug=claim.topic_slug).select_related("brand").first()
        if subject is None or topic is None:
            return invalid_link(request)
        use_locale(subject)
        sub = selectors.subject_subscriptions(subject).get(topic.slug)
        done = sub is not None and sub.status == sub.Status.UNSUBSCRIBED
        brand = brand_of_topic(topic)
        return render(request, template_names(brand, "preferences/one_click.html"), {
            "topic": topic, "done": done, "preferences_url": preferences_url(subject, brand),
            "reasons": REASON_CHOICES, "brand": brand, "managed_email": subject.email,
        })

    reason = request.POST.get("reason", "")
    comment = request.POST.get("comment", "").strip()
    if comment and not reason:
        reason = Feedback.Reason.OTHER  # a comment alone is still a reason
    if (request.POST.get("List-Unsubscribe") != "One-Click"
            or set(request.POST) - ONE_CLICK_FIELDS or request.FILES
            or (reason and reason not in Feedback.Reason.values)
            or len(comment) > Feedback.COMMENT_MAX_LENGTH):
        return render(request, "preferences/one_click_bad_request.html", status=400)
    try:
        sub, _ = services.subscription_unsubscribe_by_token(subject_id=claim.subject_id,
                                                            topic_slug=claim.topic_slug)
    except services.NotFound:
        return invalid_link(request)
    subject, topic = sub.subject, sub.topic
    if reason:
        services.feedback_record(subscription=sub, reason=reason, comment=comment)
    use_locale(subject)
    brand = brand_cached(topic.brand_id)
    page = _one_click_answer(translation.get_language(), translated(topic, "name"),
                             bool(reason), brand)
    return HttpResponse(page.replace(_URL_SLOT, escape(preferences_url(subject, brand))))


_URL_SLOT = "hush-preferences-url-slot"
_answers: dict[tuple, str] = {}


def _one_click_answer(language: str, topic_name: str, reason_given: bool, brand) -> str:
    """The answer to a one-click POST, rendered once per language, topic and brand
    (as last changed): it is the busiest page Hush serves, and only the preference link
    differs by subject."""
    key = (language, topic_name, reason_given, brand.slug, brand.updated_at)
    page = _answers.get(key)
    if page is None:
        if len(_answers) >= 512:
            _answers.clear()
        page = _answers[key] = render_to_string(
            template_names(brand, "preferences/one_click_done.html"), {
                "topic": {"name": topic_name}, "preferences_url": _URL_SLOT,
                "reasons": REASON_CHOICES, "reason_given": reason_given, "brand": brand,
            })
    return page


@csrf_exempt  # posted from the one-click answer, which carries no cookie or CSRF token
def resubscribe(request, token):
    """The "resubscribe" button of the one-click pages: the signed one-click token is
    the authority, as for the unsubscribe it undoes."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        claim = read_unsubscribe_token(token)
    except BadToken:
        return invalid_link(request)
    subject = selectors.subject_by_public_id(claim.subject_id)
    topic = Topic.objects.filter(slug=claim.topic_slug).select_related("brand").first()
    if subject is None or topic is None or not subject.email:
        return invalid_link(request)
    use_locale(subject)
    services.subscription_set(subject=subject, topic=topic, status="subscribed",
                              source=Source.RESUBSCRIBE, actor=subject)
    brand = brand_of_topic(topic)
    return render(request, template_names(brand, "preferences/resubscribed.html"), {
        "topic": topic, "brand": brand, "managed_email": subject.email,
        "preferences_url": preferences_url(subject, brand),
    })


def renew(request, token):
    """An expired link names its subject: send a fresh one without asking for the address."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        read_preferences_token(token)
        return redirect("preferences:center", token=token)
    except ExpiredToken as expired:
        subject_id = str(expired.subject_id)
    except BadToken:
        return invalid_link(request)
    brand = brand_named(request.GET.get("brand"))
    if _rate_limited(request, address_key=subject_id):
        return render(request, template_names(brand, "preferences/link_rate_limited.html"),
                      {"brand": brand}, status=429)
    task_send("preferences.preference_link_send", subject_id=subject_id,
              **_brand_argument(brand))
    return render(request, template_names(brand, "preferences/link_sent.html"),
                  {"brand": brand})


def request_link(request):
    """Answers the same whether or not the address is known: the lookup happens in a task."""
    form = LinkRequestForm(request.POST or None)
    brand = brand_named(request.GET.get("brand"))
    page = {"form": form, "brand": brand}
    if request.method != "POST":
        return render(request, template_names(brand, "preferences/link_request.html"), page)
    if not form.is_valid():
        return render(request, template_names(brand, "preferences/link_request.html"), page,
                      status=400)
    digest = email_digest(form.cleaned_data["email"])
    if _rate_limited(request, address_key=digest):
        return render(request, template_names(brand, "preferences/link_rate_limited.html"),
                      page, status=429)
    task_send("preferences.preference_link_send", email_digest=digest,
              **_brand_argument(brand))
    return render(request, template_names(brand, "preferences/link_sent.html"), page)


def _brand_argument(brand) -> dict:
    """The task's `brand` argument: only for a saved brand (the default needs none)."""
    return {"brand": brand.slug} if brand.pk and not brand.is_default else {}


def _rate_limited(request, *, address_key: str) -> bool:
    per_client = is_ratelimited(request, group="preference-link-client", key="ip",
                                rate=settings.HUSH_LINK_RATE_PER_CLIENT, increment=True)
    per_address = is_ratelimited(request, group="preference-link-address",
                                 key=lambda group, req: address_key,
                                 rate=settings.HUSH_LINK_RATE_PER_ADDRESS, increment=True)
    return per_client or per_address
