"""What the preference center shows: each topic's row and one history in plain words."""

from django.utils import timezone
from django.utils.translation import gettext as _

from preferences import selectors
from preferences.branding.selectors import translated
from preferences.models import ConsentEvent, Source, Subscription, Topic

Status = Subscription.Status
Kind = ConsentEvent.Kind


def frequency_choices(topic: Topic) -> list[tuple[str, str]]:
    """The frequencies a topic offers, in the order it lists them, with their labels."""
    labels = dict(Topic.Frequency.choices)
    return [(code, labels[code]) for code in topic.frequencies or [] if code in labels]


def topic_rows(subject, brand) -> list[tuple[str, list[dict]]]:
    """Topics grouped by channel, each with its state, whether its toggle is on, and its
    frequency choices (the subscription's, or the topic's first)."""
    subs = selectors.subject_subscriptions(subject)
    grouped = selectors.topics_by_channel(subject, brand=brand)
    for _channel, rows in grouped:
        for row in rows:
            topic, sub = row["topic"], subs.get(row["topic"].slug)
            row["on"] = row["status"] in (Status.SUBSCRIBED, Status.PAUSED, Status.PENDING)
            row["frequencies"] = frequency_choices(topic)
            codes = [code for code, _label in row["frequencies"]]
            row["frequency"] = (sub.frequency if sub and sub.frequency in codes
                                else (codes[0] if codes else ""))
            row["name"] = translated(topic, "name")
            row["description"] = translated(topic, "description")
    return grouped


def _how(source: str) -> str:
    """Where a change came from, as a person would say it."""
    return {
        Source.ONE_CLICK: _("the unsubscribe link in an email"),
        Source.PREFERENCE_CENTER: _("this page (preference center)"),
        Source.API: _("our systems"),
        Source.STAFF: _("our staff"),
        Source.IMPORT: _("a list we imported"),
        Source.GPC: _("your browser's Global Privacy Control signal"),
        Source.SIGNUP: _("the sign-up form"),
        Source.CONFIRMATION: _("the confirmation link we emailed you"),
        Source.MAILTO: _("an email you sent us"),
        Source.COMPLAINT: _("a spam report from your mail provider"),
        Source.BOUNCE: _("your mail server refusing our emails"),
        Source.ESP_UNSUBSCRIBE: _("our email provider's unsubscribe link"),
        Source.RESUBSCRIBE: _("the resubscribe button after unsubscribing"),
    }.get(source, source)


def _said(event) -> str:
    """One change as a sentence."""
    if event.kind == Kind.SUBSCRIPTION:
        old, new = event.old_status, event.new_status
        if new == Status.PAUSED and event.paused_until:
            until = timezone.localtime(event.paused_until).strftime("%Y-%m-%d")
            return _("Paused until %(date)s") % {"date": until}
        if new == Status.SUBSCRIBED:
            if old == Status.PAUSED:
                return _("Resumed")
            if old == Status.PENDING:
                return _("Confirmed your subscription")
            return _("Subscribed")
        if new == Status.PENDING:
            return _("Signed up, waiting for your confirmation")
        return _("Unsubscribed")
    if event.kind == Kind.PURPOSE:
        if event.new_status == "granted":
            return _("Allowed (description version %(version)s)") % {
                "version": event.purpose_version}
        return _("Not allowed (description version %(version)s)") % {
            "version": event.purpose_version}
    return {
        Kind.UNSUBSCRIBE_ALL: _("Unsubscribed from everything"),
        Kind.RESUBSCRIBE_ALL: _("Came back after unsubscribing from everything"),
        Kind.SUPPRESSED: _("No more email: a spam report or a bounce"),
    }.get(event.kind, event.get_kind_display())


def history(subject, limit: int = 100) -> list[dict]:
    """Every change to the subject's topics and privacy choices, newest first."""
    rows = []
    for event in selectors.consent_history(subject, limit=limit):
        if event.topic is not None:
            what = translated(event.topic, "name")
        elif event.purpose is not None:
            what = translated(event.purpose, "name")
        else:
            what = _("All emails")
        rows.append({"when": event.occurred_at, "what": what, "said": _said(event),
                     "how": _how(event.source), "kind": event.kind})
    return rows
