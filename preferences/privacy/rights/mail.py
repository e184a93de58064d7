"""The mails of a rights request: the code and link that verify it, and its outcome
(done, nothing held, or denied with the reason). Sent from tasks, to the address the
request names, in the language the person used."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

import audit
from preferences.models import RightsRequest
from preferences.privacy.rights import services


def _language(request: RightsRequest) -> str:
    return request.language if request.language in dict(settings.LANGUAGES) else "en"


def verify_url(request: RightsRequest) -> str:
    return settings.HUSH_BASE_URL + reverse("preferences:privacy_verify", args=[request.key])


def rights_verification_send(*, request_id: int) -> bool:
    issued = services.rights_verification_issue(request_id=request_id)
    if issued is None:
        return False
    request, code = issued
    with translation.override(_language(request)):
        context = {"request": request, "kind": request.get_kind_display(),
                   "minutes": settings.HUSH_RIGHTS_CODE_MAX_AGE // 60,
                   "link_minutes": settings.HUSH_RIGHTS_LINK_MAX_AGE // 60,
                   "verify_url": verify_url(request), "agent": request.agent_name}
        if request.method == RightsRequest.Method.LINK:
            context["link"] = settings.HUSH_BASE_URL + reverse(
                "preferences:privacy_confirm", args=[services.make_link_token(request)])
        else:
            context["code"] = code
        body = render_to_string("preferences/email/rights_verify.txt", context)
        title = render_to_string("preferences/email/rights_verify_subject.txt").strip()
    send_mail(title, body, None, [request.email])
    audit.record(actor=audit.SYSTEM, action="rights.verification_sent", target=request,
                 details={"method": request.method})
    return True


def rights_outcome_send(*, request_id: int, outcome: str) -> bool:
    request = RightsRequest.objects.filter(pk=request_id).first()
    if request is None or not request.email:
        return False
    if outcome != "export":  # a download link is on its way in its own mail
        with translation.override(_language(request)):
            body = render_to_string("preferences/email/rights_outcome.txt", {
                "request": request, "kind": request.get_kind_display(), "outcome": outcome,
                "reason": request.get_denial_reason_display(),
                "privacy_url": settings.HUSH_BASE_URL + reverse("preferences:privacy")})
            title = render_to_string("preferences/email/rights_outcome_subject.txt",
                                     {"outcome": outcome}).strip()
        send_mail(title, body, None, [request.email])
    services.rights_request_forget(request_id=request.pk)
    return True
