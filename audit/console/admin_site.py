from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class HushAdminSite(OTPAdminSite):
    """The Django admin behind the same two-factor sign-in as the console."""

    def login(self, request, extra_context=None):
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"),
                                 reverse("console:login"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only the code that records them may write (audit and consent events,
    erasures): the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
