"""The console's gate: a verified second factor, then one permission per view."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse


def is_verified(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_verified()


def role_required(permission: str):
    """Anonymous or not yet verified: to the login page. Verified but without
    `audit.<permission>`: 403. Checked on every request, so a role removed takes
    effect at once."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not is_verified(request.user):
                return redirect_to_login(request.get_full_path(), reverse("console:login"))
            if not request.user.has_perm(f"audit.{permission}"):
                return render(request, "console/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        wrapped.console_permission = permission
        return wrapped

    return decorator
