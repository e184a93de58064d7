from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from audit.console.admin_site import HushAdminSite
from config import errors

# Nothing in the admin without a verified second factor (django-otp's OTPAdminSite).
admin.site.__class__ = HushAdminSite

urlpatterns = [
    path("", include("preferences.urls")),
    path("api/v1/", include("config.api_urls")),
    path("inbound/", include("preferences.inbound.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("console/", include("audit.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", errors.favicon),
]

# Hush's own error pages (templates/404.html, 403.html, 500.html).
handler404 = "config.errors.page_not_found"
handler403 = "config.errors.permission_denied"
handler500 = "config.errors.server_error"
