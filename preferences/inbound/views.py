"""The email providers' webhooks: `POST /inbound/ses/`, `/sendgrid/`, `/mailgun/`,
`/postmark/`. Thin: the provider's module checks and reads the call, the service
records and applies it, and only then is it answered 200.

A provider not configured answers 404. A call that is not the provider's (bad or
missing signature or credentials, a stale timestamp, a body not in its format)
answers 4xx, changes nothing and moves that provider's rejection counter. If the
database cannot record it, 503: the provider retries. The answer never says whether
an address is known.
"""

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from preferences.inbound import counters
from preferences.inbound.providers import Rejected, Unavailable, mailgun, postmark, sendgrid, ses
from preferences.inbound.services import signals_record

log = logging.getLogger(__name__)


def _reject(channel: str, refused: Rejected) -> JsonResponse:
    try:
        counters.daily_count_add(name=counters.rejected_name(channel))
    except Exception as failure:  # counting must not change the answer
        log.warning("could not count a rejected %s call (%s)", channel, type(failure).__name__)
    response = JsonResponse({"error": refused.reason}, status=refused.status)
    if refused.status == 401 and channel == "postmark":
        response["WWW-Authenticate"] = 'Basic realm="hush-inbound"'
    return response


def _unavailable(channel: str, failure: Exception) -> JsonResponse:
    log.warning("%s webhook not recorded (%s); answered 503", channel, type(failure).__name__)
    return JsonResponse({"error": "try again later"}, status=503)


def _handle(request, channel: str, provider) -> JsonResponse:
    if not provider.configured():
        return JsonResponse({"error": "not configured"}, status=404)
    try:
        signals = provider.read(request)
    except Rejected as refused:
        return _reject(channel, refused)
    except Unavailable as failure:
        return _unavailable(channel, failure)
    claim = None
    if provider is mailgun:
        claim = mailgun.token_claim(request)
        if claim is None:
            return JsonResponse({"recorded": 0, "replay": True})
    try:
        recorded = signals_record(channel=channel, signals=signals)
    except Exception as failure:  # not recorded: the provider must retry
        if claim is not None:
            mailgun.token_release(claim)
        return _unavailable(channel, failure)
    return JsonResponse({"recorded": recorded.new, "duplicate": recorded.duplicate,
                         "ignored": recorded.ignored})


def _webhook(channel: str, provider):
    @csrf_exempt  # signed by the provider (or its credentials); no browser session is involved
    @require_POST
    def webhook(request):
        return _handle(request, channel, provider)

    webhook.__name__ = webhook.__qualname__ = f"{channel}_webhook"
    return webhook


ses_webhook = _webhook("ses", ses)
sendgrid_webhook = _webhook("sendgrid", sendgrid)
mailgun_webhook = _webhook("mailgun", mailgun)
postmark_webhook = _webhook("postmark", postmark)
