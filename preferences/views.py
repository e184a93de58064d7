"""Pages a subscriber uses: one-click unsubscribe, the preference center and the
page that emails a fresh link. (Sign-up is in `signup/`, the download in `privacy/`.)"""

import json
import logging
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from anonymizer.models import ErasureRequest
from common.crypto import email_digest
from common.db import RETRY_AFTER_S, connection_lost, discard_connection, retry_if_connection_lost
from common.tasks import task_send
from preferences import selectors, services
from preferences.email import preferences_url
from preferences.erased import SubjectErased, is_erased
from preferences.forms import REASON_CHOICES, CenterActionForm, LinkRequestForm
from preferences.models import DataExport, Feedback, Purpose, RightsRequest, Source, Topic
from preferences.one_click import journal
from preferences.one_click import services as one_click_services
from preferences.one_click.erased import subject_erased
from preferences.one_click.topics import topic_name
from preferences.privacy import receipts
from preferences.privacy import selectors as privacy_selectors
from preferences.privacy import services as privacy_services
from preferences.privacy.rights import services as rights_services
from preferences.privacy.rights import views as rights_views
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
    return render(request, "preferences/link_invalid.html", status=404)


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
        page = _one_click_page(translation.get_language(), name)
        return HttpResponse(page.replace(_URL_SLOT, escape(preferences_url(_Named(claim)))))

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
    page = _one_click_answer(translation.get_language(), topic.name, bool(reason))
    return HttpResponse(page.replace(_URL_SLOT, escape(preferences_url(subject))))


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
    page = _one_click_answer(translation.get_language(),
                             topic_name(claim.topic_slug) or claim.topic_slug, False)
    return HttpResponse(page.replace(_URL_SLOT, escape(preferences_url(_Named(claim)))))


@lru_cache(maxsize=512)
def _one_click_page(language: str, topic_name: str) -> str:
    """The page GET shows, rendered once per language and topic (only the
    preference link differs by subject)."""
    return render_to_string("preferences/one_click.html", {
        "topic": {"name": topic_name}, "done": False, "preferences_url": _URL_SLOT,
    })


@lru_cache(maxsize=512)
def _one_click_answer(language: str, topic_name: str, reason_given: bool) -> str:
    """The answer to a one-click POST, rendered once per language and topic: it is
    the busiest page Hush serves, and only the preference link differs by subject."""
    return render_to_string("preferences/one_click_done.html", {
        "topic": {"name": topic_name}, "preferences_url": _URL_SLOT,
        "reasons": REASON_CHOICES, "reason_given": reason_given,
    })


def center(request, token):
    try:
        subject_id = read_preferences_token(token)
    except ExpiredToken:
        return render(request, "preferences/link_expired.html", {"token": token}, status=410)
    except BadToken:
        return invalid_link(request)
    subject = selectors.subject_by_public_id(subject_id)
    if subject is None:
        return invalid_link(request)
    if subject.erased_at is not None:
        return erased_page(request)
    use_locale(subject)

    if request.method == "POST":
        form = CenterActionForm(request.POST)
        if not form.is_valid():
            return _render_center(request, subject, errors=form.errors, status=400)
        if form.cleaned_data["action"] in VERIFIED_ACTIONS:
            return _ask_to_verify(request, subject, form.cleaned_data["action"])
        try:
            error = _apply(subject, form.cleaned_data)
        except SubjectErased:  # erased while the page was open
            return erased_page(request)
        if error:
            return _render_center(request, subject, errors={"__all__": [error]}, status=400)
        messages.success(request, _("Your choices are saved."))
        return redirect(request.path, permanent=False)
    return _render_center(request, subject, gpc=_honour_gpc(request, subject))


# The preference link alone is not enough for these: it may have been forwarded.
VERIFIED_ACTIONS = {"erase": RightsRequest.Kind.ERASURE, "export": RightsRequest.Kind.ACCESS}


def _ask_to_verify(request, subject, action: str):
    """Erasure and download from the center go through the same verification as
    `/privacy/`: a code (or link) emailed to the subject's address."""
    if not subject.email:
        return _render_center(request, subject, status=400, errors={"__all__": [
            _("We have no email address to confirm this from.")]})
    if rights_views.rate_limited(request, address_digest=subject.email_digest):
        return render(request, "preferences/link_rate_limited.html", status=429)
    rights_request = rights_services.rights_request_open(
        kind=VERIFIED_ACTIONS[action], email=subject.email, subject=subject,
        source=Source.PREFERENCE_CENTER, language=translation.get_language() or "")
    return redirect("preferences:privacy_verify", key=rights_request.key)


def _honour_gpc(request, subject) -> dict | None:
    """`Sec-GPC: 1` turns off every sale or sharing purpose (source gpc), once."""
    if request.headers.get("Sec-GPC", "").strip() != "1":
        return None
    changed = privacy_services.purposes_apply_gpc(subject=subject)
    names = list(Purpose.objects.filter(slug__in=changed).values_list("name", flat=True))
    return {"changed": names}


def _apply(subject, data) -> str | None:
    """Carry out one preference-center action; returns an error message or None."""
    action, source = data["action"], Source.PREFERENCE_CENTER
    if action in ("subscribe", "unsubscribe", "pause"):
        topic = Topic.objects.filter(slug=data["topic"]).first()
        if topic is None:
            return _("That topic does not exist.")
        if action == "pause":
            services.subscription_pause(subject=subject, topic=topic, weeks=data["weeks"],
                                        source=source, actor=subject)
        else:
            status = "subscribed" if action == "subscribe" else "unsubscribed"
            services.subscription_set(subject=subject, topic=topic, status=status,
                                      source=source, actor=subject)
    elif action == "unsubscribe_all":
        services.subject_unsubscribe_all(subject=subject, source=source, actor=subject)
    elif action == "resubscribe_all":
        services.subject_resubscribe_all(subject=subject, source=source, actor=subject)
    elif action in ("purpose_on", "purpose_off"):
        purpose = Purpose.objects.filter(slug=data["purpose"]).first()
        if purpose is None:
            return _("That purpose does not exist.")
        privacy_services.purpose_set(subject=subject, purpose=purpose,
                                     granted=action == "purpose_on", source=source, actor=subject)
    elif action == "purposes_all_off":
        privacy_services.purposes_all_off(subject=subject, source=source, actor=subject)
    return None


def _render_center(request, subject, *, errors=None, status=200, gpc=None):
    erasure = ErasureRequest.objects.filter(subject_public_id=subject.public_id).order_by(
        "-requested_at").first()
    history = selectors.consent_history(subject)
    return render(request, "preferences/center.html", {
        "subject": subject,
        "channels": selectors.topics_by_channel(subject),
        "history": [e for e in history if e.kind != e.Kind.PURPOSE],
        "purposes": privacy_selectors.purpose_states(subject),
        "purpose_history": privacy_selectors.purpose_history(subject),
        "gpc": gpc,
        "export": DataExport.objects.filter(subject=subject).order_by("-requested_at").first(),
        "erasure": erasure,
        "errors": errors,
        "pause_weeks": services.PAUSE_WEEKS,
    }, status=status)


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
    if _rate_limited(request, address_key=subject_id):
        return render(request, "preferences/link_rate_limited.html", status=429)
    task_send("preferences.preference_link_send", subject_id=subject_id)
    return render(request, "preferences/link_sent.html")


def request_link(request):
    """Answers the same whether or not the address is known: the lookup happens in a task."""
    form = LinkRequestForm(request.POST or None)
    if request.method != "POST":
        return render(request, "preferences/link_request.html", {"form": form})
    if not form.is_valid():
        return render(request, "preferences/link_request.html", {"form": form}, status=400)
    digest = email_digest(form.cleaned_data["email"])
    if _rate_limited(request, address_key=digest):
        return render(request, "preferences/link_rate_limited.html", status=429)
    task_send("preferences.preference_link_send", email_digest=digest)
    return render(request, "preferences/link_sent.html")


def _rate_limited(request, *, address_key: str) -> bool:
    per_client = is_ratelimited(request, group="preference-link-client", key="ip",
                                rate=settings.HUSH_LINK_RATE_PER_CLIENT, increment=True)
    per_address = is_ratelimited(request, group="preference-link-address",
                                 key=lambda group, req: address_key,
                                 rate=settings.HUSH_LINK_RATE_PER_ADDRESS, increment=True)
    return per_client or per_address
