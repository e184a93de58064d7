"""`/privacy/`: anyone asks; the emailed code or single-use link verifies the request."""

from django.conf import settings
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import translation
from django_ratelimit.core import is_ratelimited

from common.crypto import email_digest
from preferences.models import RightsRequest, Source
from preferences.privacy.rights import services
from preferences.privacy.rights.forms import CodeForm, RightsRequestForm


def rate_limited(request, *, address_digest: str) -> bool:
    """Per client and per address, counted whether or not the address is known."""
    per_client = is_ratelimited(request, group="rights-client", key="ip",
                                rate=settings.HUSH_RIGHTS_RATE_PER_CLIENT, increment=True)
    per_address = is_ratelimited(request, group="rights-address",
                                 key=lambda group, req: address_digest,
                                 rate=settings.HUSH_RIGHTS_RATE_PER_ADDRESS, increment=True)
    return per_client or per_address


def privacy(request):
    """The same answer whether or not the address is known: it is looked up only
    after the person confirms from it."""
    form = RightsRequestForm(request.POST or None)
    if request.method != "POST":
        return render(request, "preferences/privacy.html", {"form": form})
    if not form.is_valid():
        return render(request, "preferences/privacy.html", {"form": form}, status=400)
    data = form.cleaned_data
    if rate_limited(request, address_digest=email_digest(data["email"])):
        return render(request, "preferences/link_rate_limited.html", status=429)
    rights_request = services.rights_request_open(
        kind=data["kind"], email=data["email"], new_email=data.get("new_email") or "",
        method=data["method"], source=Source.PRIVACY_REQUEST,
        language=translation.get_language() or "", agent_name=data["agent_name"].strip(),
        agent_declaration=data["agent_declaration"].strip())
    return redirect("preferences:privacy_verify", key=rights_request.key)


def verify(request, key):
    """Enter the emailed code. The page looks the same for any request id."""
    form = CodeForm(request.POST or None)
    context = {"form": form, "key": key}
    if request.method != "POST":
        return render(request, "preferences/privacy_verify.html", context)
    if is_ratelimited(request, group="rights-code-client", key="ip",
                      rate=settings.HUSH_RIGHTS_RATE_PER_CLIENT, increment=True):
        return render(request, "preferences/link_rate_limited.html", status=429)
    if not form.is_valid():
        return render(request, "preferences/privacy_verify.html", context, status=400)
    try:
        rights_request = services.rights_verify_code(key=key, code=form.cleaned_data["code"])
    except services.VerificationFailed as failed:
        context.update(failure=failed.reason, tries_left=failed.tries_left)
        return render(request, "preferences/privacy_verify.html", context, status=400)
    return _verified_page(request, rights_request)


def confirm(request, token):
    """The emailed link: GET shows a button and changes nothing (mail scanners
    prefetch links); POST verifies, once."""
    if request.method == "GET":
        return render(request, "preferences/privacy_confirm.html")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        rights_request = services.rights_verify_link(token=token)
    except services.VerificationFailed as failed:
        return render(request, "preferences/privacy_confirm.html",
                      {"failure": failed.reason}, status=400)
    return _verified_page(request, rights_request)


def _verified_page(request, rights_request: RightsRequest):
    return render(request, "preferences/privacy_verified.html", {
        "rights_request": rights_request, "kind": rights_request.get_kind_display(),
        "reviewed": rights_request.state == RightsRequest.State.AWAITING_REVIEW})
