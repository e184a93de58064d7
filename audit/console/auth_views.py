"""Sign-in: a password (throttled by django-axes), then a TOTP or backup code
(throttled by each django-otp device); staff without a device enrol first."""

from django.contrib import auth
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

import audit
from audit import otp
from audit.console.access import is_verified
from audit.console.forms import TokenForm
from audit.roles import HOME_PAGES


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


def home_for(user) -> str:
    for permission, name in HOME_PAGES:
        if user.has_perm(f"audit.{permission}"):
            return reverse(name)
    return reverse("console:no_role")


def _after_second_factor(request):
    return redirect(_next(request) or home_for(request.user))


def _with_next(name, request):
    url = reverse(name)
    nxt = _next(request)
    return f"{url}?next={nxt}" if nxt else url


@never_cache
@sensitive_post_parameters("password")
def login(request):
    if is_verified(request.user):
        return _after_second_factor(request)
    if request.user.is_authenticated:
        return _to_second_factor(request)
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        auth.login(request, form.get_user())
        return _to_second_factor(request)
    return render(request, "console/login.html", {"form": form, "next": _next(request)})


def _to_second_factor(request):
    """A signed-in user's next step: their code, or enrolment if they have no device."""
    return redirect(_with_next("console:verify" if otp.has_device(request.user)
                               else "console:enrol", request))


@never_cache
@sensitive_post_parameters("token")
def verify(request):
    user = request.user
    if not user.is_authenticated:
        return redirect(_with_next("console:login", request))
    if is_verified(user):
        return _after_second_factor(request)
    if not otp.has_device(user):
        return redirect(_with_next("console:enrol", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Each failure makes every device wait twice as long as the last time; a try
        # during the wait is refused unchecked (and recorded like any failure).
        throttled = otp.otp_throttled(user)
        device = None if throttled else otp.otp_match(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit.record(actor=user, action="staff.login", target=f"user:{user.pk}",
                         details={"device": device.__class__.__name__.lower()})
            return _after_second_factor(request)
        audit.record(actor=audit.SYSTEM, action="staff.otp_failed", target=f"user:{user.pk}",
                     details={"throttled": throttled})
        form.add_error("token", _("Wait a little before trying again.") if throttled
                       else _("That code is not right."))
    return render(request, "console/verify.html", {"form": form, "next": _next(request)})


@never_cache
@sensitive_post_parameters("token")
def enrol(request):
    user = request.user
    if not user.is_authenticated:
        return redirect(_with_next("console:login", request))
    if otp.has_device(user):
        return redirect(_with_next("console:verify", request))
    device = otp.totp_pending(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled = not device.verify_is_allowed()[0]
        codes = None if throttled else otp.totp_confirm(user=user, device=device,
                                                        token=form.cleaned_data["token"])
        if codes is not None:
            otp_login(request, device)
            audit.record(actor=user, action="staff.login", target=f"user:{user.pk}",
                         details={"device": "totpdevice"})
            # Shown in this answer only: reloading never shows them again.
            return render(request, "console/backup_codes.html",
                          {"codes": codes, "continue_to": _next(request) or home_for(user)})
        audit.record(actor=audit.SYSTEM, action="staff.otp_failed", target=f"user:{user.pk}",
                     details={"step": "enrol", "throttled": throttled})
        form.add_error("token", _("Wait a little before trying again.") if throttled else
                       _("That code is not right. Check the time on your phone."))
    return render(request, "console/enrol.html", {
        "form": form, "qr_svg": otp.totp_qr_svg(device), "secret": otp.totp_secret(device),
        "next": _next(request),
    })


@require_POST
def logout(request):
    auth.logout(request)
    return redirect("console:login")


def no_role(request):
    if not is_verified(request.user):
        return redirect(_with_next("console:login", request))
    return render(request, "console/forbidden.html", {"no_role": True}, status=403)
