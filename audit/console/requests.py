"""The "Requests" queue: every verified rights request with its deadline, the soonest
first; a privacy officer approves, denies (a reason from the list, emailed to the
person) or extends once. Each decision is an audit event (in the service)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.console.access import role_required
from preferences.models import RightsRequest
from preferences.privacy import jurisdictions
from preferences.privacy.rights import selectors, services


class DenyForm(forms.Form):
    reason = forms.ChoiceField(choices=RightsRequest.DenialReason.choices)
    text = forms.CharField(required=False, max_length=2000)


class ExtendForm(forms.Form):
    reason = forms.CharField(max_length=2000)


@role_required("view_requests")
def requests_queue(request):
    state = request.GET.get("state", "")
    if state not in RightsRequest.State.values:
        state = ""
    page = Paginator(selectors.requests_queue(state=state), 50).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(request, "console/requests.html", {
        "page": page, "state": state, "states": RightsRequest.State.choices,
        "rows": [(r, selectors.time_left(r, now)) for r in page],
        "counts": selectors.requests_due_counts(now),
        "reasons": RightsRequest.DenialReason.choices, "laws": jurisdictions.LAW_NAMES,
        "can_decide": request.user.has_perm("audit.decide_requests"),
    })


def _decided(request, call, done: str):
    try:
        call()
    except services.NotDecidable:
        messages.error(request, _("That request is not waiting for this decision."))
    except ValueError as exc:
        messages.error(request, str(exc).capitalize() + ".")
    else:
        messages.success(request, done)
    return redirect("console:requests")


@require_POST
@role_required("decide_requests")
def request_approve(request, key):
    rights_request = get_object_or_404(RightsRequest, key=key)
    return _decided(request, lambda: services.rights_request_approve(
        key=rights_request.key, actor=request.user), _("Approved: the request is carried out."))


@require_POST
@role_required("decide_requests")
def request_deny(request, key):
    rights_request = get_object_or_404(RightsRequest, key=key)
    form = DenyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason from the list."))
        return redirect("console:requests")
    return _decided(request, lambda: services.rights_request_deny(
        key=rights_request.key, actor=request.user, reason=form.cleaned_data["reason"],
        text=form.cleaned_data["text"]), _("Denied: the person is emailed the reason."))


@require_POST
@role_required("decide_requests")
def request_extend(request, key):
    rights_request = get_object_or_404(RightsRequest, key=key)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request needs more time."))
        return redirect("console:requests")
    return _decided(request, lambda: services.rights_request_extend(
        key=rights_request.key, actor=request.user, reason=form.cleaned_data["reason"]),
        _("Extended once: the new due date is shown."))
