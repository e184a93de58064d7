"""The preference center's page and its actions. A POST is one action; without
JavaScript it answers with a redirect to the section it changed (and the confirmation
shows there), with `static/center.js` (header `X-Requested-With: fetch`) it answers the
page itself, which the script swaps in place: no reload, the scroll kept."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anonymizer.models import ErasureRequest
from anonymizer.services import erasure_open
from preferences import selectors, services
from preferences.branding.selectors import brand_named, template_names
from preferences.center import selectors as center_selectors
from preferences.center import undo
from preferences.erased import SubjectErased
from preferences.forms import CenterActionForm
from preferences.models import DataExport, Purpose, RightsRequest, Source, Subscription, Topic
from preferences.privacy import exports
from preferences.privacy import selectors as privacy_selectors
from preferences.privacy import services as privacy_services
from preferences.privacy.rights import services as rights_services
from preferences.privacy.rights import views as rights_views
from preferences.services import PAUSE_WEEKS
from preferences.tokens import BadToken, ExpiredToken, read_preferences_token
from preferences.views import erased_page, invalid_link, use_locale

Status = Subscription.Status
# Which section of the page each action changes: where its confirmation shows.
SECTIONS = {
    "save": "subscriptions", "subscribe": "subscriptions", "unsubscribe": "subscriptions",
    "pause": "subscriptions", "pause_all": "everything", "resume_all": "everything",
    "unsubscribe_all": "everything", "resubscribe_all": "everything",
    "save_purposes": "privacy", "purpose_on": "privacy", "purpose_off": "privacy",
    "purposes_all_off": "privacy", "export": "download", "erase": "erase", "undo": None,
}


class Refused(Exception):
    """An action that cannot be carried out as asked (a 400, nothing changed)."""


def center(request, token):
    try:
        subject_id = read_preferences_token(token)
    except ExpiredToken:
        brand = brand_named(request.GET.get("brand"))
        return render(request, template_names(brand, "preferences/link_expired.html"),
                      {"token": token, "brand": brand}, status=410)
    except BadToken:
        return invalid_link(request)
    subject = selectors.subject_by_public_id(subject_id)
    if subject is None:
        return invalid_link(request)
    if subject.erased_at is not None:
        return erased_page(request)
    use_locale(subject)
    brand = brand_named(request.GET.get("brand"))
    in_place = request.headers.get("X-Requested-With") == "fetch"

    if request.method != "POST":
        return _render(request, subject, brand, gpc=_honour_gpc(request, subject))
    form = CenterActionForm(request.POST)
    if not form.is_valid():
        return _render(request, subject, brand, errors=form.errors, status=400)
    action = form.cleaned_data["action"]
    if action in VERIFIED_ACTIONS:
        return _ask_to_verify(request, subject, brand, action)
    before = undo.snapshot(subject)
    try:
        if action == "undo":
            section = undo.undo(request, subject)
            notice = _("Your last change is undone.") if section else _(
                "There is nothing to undo.")
            can_undo = False
        else:
            section = SECTIONS[action]
            notice = _apply(request, subject, brand, form.cleaned_data)
            can_undo = action not in ("export", "erase") and undo.remember(
                request, subject, before, section)
            if action not in ("export", "erase") and not can_undo:
                notice = _("Nothing changed: these were already your choices.")
    except Refused as refused:
        return _render(request, subject, brand, errors={"__all__": [str(refused)]}, status=400)
    except SubjectErased:  # erased while the page was open
        return erased_page(request)
    section = section or "subscriptions"
    if in_place:
        return _render(request, subject, brand, notice={
            "section": section, "text": notice, "undo": can_undo})
    messages.success(request, notice,
                     extra_tags=f"section-{section}" + (" undo" if can_undo else ""))
    return redirect(request.get_full_path() + f"#{section}", permanent=False)


# The preference link alone is not enough for these: it may have been forwarded.
VERIFIED_ACTIONS = {"erase": RightsRequest.Kind.ERASURE, "export": RightsRequest.Kind.ACCESS}


def _ask_to_verify(request, subject, brand, action: str):
    """Erasure and download from the center go through the same verification as
    `/privacy/`: a code (or link) emailed to the subject's address."""
    if not subject.email:
        return _render(request, subject, brand, status=400, errors={"__all__": [
            _("We have no email address to confirm this from.")]})
    if rights_views.rate_limited(request, address_digest=subject.email_digest):
        return render(request, template_names(brand, "preferences/link_rate_limited.html"),
                      {"brand": brand}, status=429)
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


def _topic(slug) -> Topic:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None:
        raise Refused(_("That topic does not exist."))
    return topic


def _save_topics(subject, brand, post) -> None:
    """The one Save: each topic shown goes on or off as its toggle says, and takes the
    frequency chosen. A paused or pending topic left on stays as it is."""
    subs = selectors.subject_subscriptions(subject)
    now = timezone.now()
    chosen = set(post.getlist("topics"))
    changes, frequencies = [], []
    for topic in selectors.topics_of(brand):
        sub = subs.get(topic.slug)
        status = sub.effective_status(now) if sub else Status.UNSUBSCRIBED
        if topic.slug in chosen and status == Status.UNSUBSCRIBED:
            changes.append(services.TopicChange(topic=topic, status=Status.SUBSCRIBED))
        elif topic.slug not in chosen and status != Status.UNSUBSCRIBED:
            changes.append(services.TopicChange(topic=topic, status=Status.UNSUBSCRIBED))
        field = f"frequency-{topic.slug}"
        if field in post:
            offered = [code for code, _label in center_selectors.frequency_choices(topic)]
            if post[field] not in offered:
                raise Refused(_("Choose how often from the list for %(topic)s.")
                              % {"topic": topic.name})
            frequencies.append((topic, post[field]))
    unknown = chosen - {t.slug for t in selectors.topics_of(brand)}
    if unknown:
        raise Refused(_("That topic does not exist."))
    services.subscriptions_change(subject=subject, changes=changes,
                                  source=Source.PREFERENCE_CENTER, actor=subject)
    for topic, frequency in frequencies:
        services.subscription_frequency_set(subject=subject, topic=topic, frequency=frequency,
                                            actor=subject)


def _save_purposes(subject, post) -> None:
    chosen = set(post.getlist("purposes"))
    for row in privacy_selectors.purpose_states(subject):
        wanted = row["purpose"].slug in chosen
        if wanted != row["granted"]:
            privacy_services.purpose_set(subject=subject, purpose=row["purpose"],
                                         granted=wanted, source=Source.PREFERENCE_CENTER,
                                         actor=subject)


def _pause_all(subject, brand, weeks: int) -> None:
    until = timezone.now() + timedelta(weeks=weeks)
    subs = selectors.subject_subscriptions(subject)
    now = timezone.now()
    changes = [services.TopicChange(topic=topic, status=Status.PAUSED, paused_until=until)
               for topic in selectors.topics_of(brand)
               if topic.slug in subs and subs[topic.slug].effective_status(now) in (
                   Status.SUBSCRIBED, Status.PAUSED)]
    services.subscriptions_change(subject=subject, changes=changes,
                                  source=Source.PREFERENCE_CENTER, actor=subject)


def _resume_all(subject, brand) -> None:
    subs = selectors.subject_subscriptions(subject)
    now = timezone.now()
    changes = [services.TopicChange(topic=topic, status=Status.SUBSCRIBED)
               for topic in selectors.topics_of(brand)
               if topic.slug in subs and subs[topic.slug].effective_status(now) == Status.PAUSED]
    services.subscriptions_change(subject=subject, changes=changes,
                                  source=Source.PREFERENCE_CENTER, actor=subject)


def _apply(request, subject, brand, data) -> str:
    """Carry out one action; returns what the confirmation says. Raises Refused."""
    action, source = data["action"], Source.PREFERENCE_CENTER
    if action == "save":
        _save_topics(subject, brand, request.POST)
        return _("Your subscriptions are saved.")
    if action in ("subscribe", "unsubscribe", "pause"):
        topic = _topic(data["topic"])
        if action == "pause":
            services.subscription_pause(subject=subject, topic=topic, weeks=data["weeks"],
                                        source=source, actor=subject)
        else:
            status = "subscribed" if action == "subscribe" else "unsubscribed"
            services.subscription_set(subject=subject, topic=topic, status=status,
                                      source=source, actor=subject)
        return _("Your subscriptions are saved.")
    if action == "pause_all":
        _pause_all(subject, brand, data["weeks"])
        return _("Everything is paused.")
    if action == "resume_all":
        _resume_all(subject, brand)
        return _("Everything is resumed.")
    if action == "unsubscribe_all":
        services.subject_unsubscribe_all(subject=subject, source=source, actor=subject)
        return _("You are unsubscribed from everything.")
    if action == "resubscribe_all":
        services.subject_resubscribe_all(subject=subject, source=source, actor=subject)
        return _("Welcome back: your subscriptions are on again.")
    if action == "erase":
        erasure_open(public_id=subject.public_id, source=source, actor=subject)
        return _("We received your request to erase your data.")
    if action in ("purpose_on", "purpose_off"):
        purpose = Purpose.objects.filter(slug=data["purpose"]).first()
        if purpose is None:
            raise Refused(_("That purpose does not exist."))
        privacy_services.purpose_set(subject=subject, purpose=purpose,
                                     granted=action == "purpose_on", source=source, actor=subject)
        return _("Your privacy choices are saved.")
    if action == "save_purposes":
        _save_purposes(subject, request.POST)
        return _("Your privacy choices are saved.")
    if action == "purposes_all_off":
        privacy_services.purposes_all_off(subject=subject, source=source, actor=subject)
        return _("Everything is off.")
    if action == "export":
        exports.export_request(subject=subject, source=source, actor=subject)
        return _("We are preparing a copy of your data and will email you a link.")
    raise Refused(_("Unknown action."))


def _notice_from_messages(request) -> dict | None:
    """The latest confirmation left by a redirect (reading them all clears them)."""
    notice = None
    for message in messages.get_messages(request):
        tag = next((t for t in message.extra_tags.split() if t.startswith("section-")), "")
        notice = {"section": tag.removeprefix("section-") or "subscriptions",
                  "text": str(message), "undo": "undo" in message.extra_tags.split()}
    return notice


def _render(request, subject, brand, *, errors=None, status=200, gpc=None, notice=None):
    notice = notice or _notice_from_messages(request)
    if notice and notice.get("undo"):
        notice["undo"] = undo.pending(request, subject) is not None
    erasure = ErasureRequest.objects.filter(subject_public_id=subject.public_id).order_by(
        "-requested_at").first()
    channels = center_selectors.topic_rows(subject, brand)
    rows = [row for _channel, items in channels for row in items]
    return render(request, template_names(brand, "preferences/center.html"), {
        "brand": brand, "managed_email": subject.email, "subject": subject,
        "channels": channels,
        "any_on": any(r["status"] == Status.SUBSCRIBED for r in rows),
        "any_paused": any(r["status"] == Status.PAUSED for r in rows),
        "history": center_selectors.history(subject),
        "purposes": privacy_selectors.purpose_states(subject),
        "gpc": gpc,
        "export": DataExport.objects.filter(subject=subject).order_by("-requested_at").first(),
        "erasure": erasure,
        "errors": errors,
        "notice": notice,
        "pause_weeks": PAUSE_WEEKS,
    }, status=status)
