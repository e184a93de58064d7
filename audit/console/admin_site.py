from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class HushAdminSite(OTPAdminSite):
    """The Django admin behind the same two-factor sign-in as the console."""

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"),
                                 reverse("console:login"))

