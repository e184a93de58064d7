"""Pages a subscriber uses: one-click unsubscribe (and resubscribe) and the page that
emails a fresh link. (The preference center is in `center/`, sign-up in `signup/`, the
download in `privacy/`.)"""

import json
import logging

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from common.crypto import email_digest
from common.db import RETRY_AFTER_S, connection_lost, discard_connection, retry_if_connection_lost
from common.tasks import task_send
from preferences import selectors, services
from preferences.branding.selectors import (
    brand_cached,
    brand_named,
    brand_of_topic,
    template_names,
    topic_cached,
    translated,
)
from preferences.email import preferences_url
from preferences.erased import SubjectErased, is_erased
from preferences.forms import REASON_CHOICES, LinkRequestForm
from preferences.models import Feedback, Source, Topic
from preferences.one_click import journal
from preferences.one_click import services as one_click_services
from preferences.one_click.erased import subject_erased
from preferences.one_click.topics import topic_name
from preferences.privacy import receipts
from preferences.tokens import (
    BadToken,
    ExpiredToken,
    read_preferences_token,
    read_unsubscribe_token,
)

ONE_CLICK_FIELDS = {"List-Unsubscribe", "reason", "comment"}
log = logging.getLogger(__name__)


def use_locale(subject) -> None:
    """Speak the subject's language when we know it (else Accept-Language stands)."""
    if subject.locale and subject.locale in dict(settings.LANGUAGES):
        translation.activate(subject.locale)


def invalid_link(request):
    brand = brand_named(request.GET.get("brand"))
    return render(request, template_names(brand, "preferences/link_invalid.html"),
                  {"brand": brand}, status=404)


def erased_page(request):
    """Every link of an erased subject ends here: plain, and it changes nothing."""
    return render(request, "preferences/erased.html", status=410)


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
        # No database: the signed token says who and which topic, and mail scanners
        # fetch every link of every message. The page always offers the button
        # (POSTing twice equals once) and speaks the browser's language.
        name = topic_name(claim.topic_slug)
        if name is None:
            return invalid_link(request)
        if subject_erased(claim.subject_id):
            return erased_page(request)
        topic, brand = _topic_and_brand(claim.topic_slug)
        if topic is not None:
            name = translated(topic, "name")
        page = _one_click_page(translation.get_language(), name, brand, claim.fresh)
        return HttpResponse(page.replace(_URL_SLOT,
                                         escape(_center_link(_Named(claim), claim, brand))))

    reason = request.POST.get("reason", "")
    comment = request.POST.get("comment", "").strip()
    if comment and not reason:
        reason = Feedback.Reason.OTHER  # a comment alone is still a reason
    if (request.POST.get("List-Unsubscribe") != "One-Click"
            or set(request.POST) - ONE_CLICK_FIELDS or request.FILES
            or (reason and reason not in Feedback.Reason.values)
            or len(comment) > Feedback.COMMENT_MAX_LENGTH):
        return render(request, "preferences/one_click_bad_request.html", status=400)
    if journal.has_entries():
        # Opt-outs accepted during an outage are still waiting: join the end of the
        # line, so each subject's opt-outs are applied in the order they came.
        return _journaled(claim)
    try:
        # Safe to run twice (POSTing twice equals once), so a connection that died
        # under it is replaced and the opt-out sent again, never answered 500.
        sub, _ = retry_if_connection_lost(services.subscription_unsubscribe_by_token,
                                          subject_id=claim.subject_id,
                                          topic_slug=claim.topic_slug)
    except services.NotFound:
        return invalid_link(request)
    except SubjectErased:
        return erased_page(request)
    except DatabaseError as exc:
        if not connection_lost(exc):
            raise
        discard_connection()
        return _journaled(claim)  # the token alone proves who and which topic
    subject, topic = sub.subject, sub.topic
    if reason:
        services.feedback_record(subscription=sub, reason=reason, comment=comment)
    use_locale(subject)
    brand = brand_cached(topic.brand_id)
    page = _one_click_answer(translation.get_language(), translated(topic, "name"),
                             bool(reason), brand, claim.fresh)
    return HttpResponse(page.replace(_URL_SLOT, escape(_center_link(subject, claim, brand))))


def _center_link(subject, claim, brand=None) -> str:
    """A one-click link from an old or forwarded mail must not open the whole center
    (erasure, export): only a link as fresh as a preference link goes straight in;
    any other leads to "email me a link", which mails the address itself."""
    if claim.fresh:
        return preferences_url(subject, brand)
    return settings.HUSH_BASE_URL + reverse("preferences:request_link")


_URL_SLOT = "hush-preferences-url-slot"


class _Named:
    """The subject a token names, as far as its links need (a model instance costs
    more to make than the rest of the page)."""

    __slots__ = ("public_id",)

    def __init__(self, claim):
        self.public_id = claim.subject_id


def _journaled(claim) -> HttpResponse:
    """Keep the opt-out in the host's journal (fsynced) and answer as usual; it is
    applied, audited and propagated once the database answers again."""
    try:
        journal.append(subject_id=claim.subject_id, topic_slug=claim.topic_slug)
    except OSError:
        log.exception("one-click journal: could not write the opt-out")
        return HttpResponse(_("Please try again in a minute."), status=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)},
                            content_type="text/plain; charset=utf-8")
    one_click_services.journal_replay_in_background()
    topic, brand = _topic_and_brand(claim.topic_slug)
    name = translated(topic, "name") if topic else (topic_name(claim.topic_slug)
                                                    or claim.topic_slug)
    page = _one_click_answer(translation.get_language(), name, False, brand, claim.fresh)
    return HttpResponse(page.replace(_URL_SLOT,
                                     escape(_center_link(_Named(claim), claim, brand))))


def _topic_and_brand(slug: str):
    """The topic (for its translated name) and the brand it wears, from this process's
    copy: the one-click pages ask the database for neither (see `topic_cached`)."""
    topic = topic_cached(slug)
    return topic, (topic.brand if topic is not None and topic.brand_id else brand_cached(None))


def _one_click_page(language: str, topic_name: str, brand, fresh: bool) -> str:
    """The page GET shows, rendered once per language, topic, brand (as last changed)
    and link age: only the preference link differs by subject."""
    return _rendered("preferences/one_click.html", language, topic_name, brand, done=False,
                     fresh=fresh)


def _one_click_answer(language: str, topic_name: str, reason_given: bool, brand,
                      fresh: bool) -> str:
    """The answer to a one-click POST, rendered once per language, topic, brand and link
    age: it is the busiest page Hush serves, and only the preference link differs."""
    return _rendered("preferences/one_click_done.html", language, topic_name, brand,
                     reason_given=reason_given, fresh=fresh)


_pages: dict[tuple, str] = {}


def _rendered(template: str, language: str, topic_name: str, brand, **flags) -> str:
    """`template` rendered once per language, topic, brand (as last changed) and flags."""
    key = (template, language, topic_name, brand.slug, brand.updated_at,
           tuple(sorted(flags.items())))
    page = _pages.get(key)
    if page is None:
        if len(_pages) >= 1024:
            _pages.clear()
        page = _pages[key] = render_to_string(template_names(brand, template), {
            "topic": {"name": topic_name}, "preferences_url": _URL_SLOT, "brand": brand,
            "reasons": REASON_CHOICES, **flags})
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
    if subject.erased_at is not None:
        return erased_page(request)
    use_locale(subject)
    try:
        services.subscription_set(subject=subject, topic=topic, status="subscribed",
                                  source=Source.RESUBSCRIBE, actor=subject)
    except SubjectErased:  # erased meanwhile
        return erased_page(request)
    brand = brand_of_topic(topic)
    return render(request, template_names(brand, "preferences/resubscribed.html"), {
        "topic": topic, "brand": brand, "managed_email": subject.email,
        "preferences_url": _center_link(subject, claim, brand),
    })


def receipt(request, token):
    """The person's consent receipts as a file: each choice with the words they saw."""
    try:
        subject_id = read_preferences_token(token)
    except BadToken:
        return invalid_link(request)
    subject = selectors.subject_by_public_id(subject_id)
    if subject is None:
        return invalid_link(request)
    if subject.erased_at is not None:
        return erased_page(request)
    body = json.dumps({"subject": str(subject.public_id),
                       "receipts": receipts.receipts_of(subject)},
                      cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="consent-receipt.json"'
    response["Cache-Control"] = "no-store"
    return response


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
    if is_erased(subject_id):
        return erased_page(request)
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
