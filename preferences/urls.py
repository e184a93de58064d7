from django.urls import path

from preferences import views
from preferences.branding import views as brand_views
from preferences.center import views as center_views
from preferences.privacy import views as privacy_views
from preferences.privacy.rights import views as rights_views
from preferences.signup import views as signup_views

app_name = "preferences"

urlpatterns = [
    path("u/<str:token>/", views.one_click, name="one_click"),
    path("u/<str:token>/resubscribe/", views.resubscribe, name="resubscribe"),
    path("p/", views.request_link, name="request_link"),
    path("p/<str:token>/", center_views.center, name="center"),
    path("p/<str:token>/renew/", views.renew, name="renew"),
    path("p/<str:token>/receipt/", views.receipt, name="receipt"),
    path("s/", signup_views.signup, name="signup"),
    path("s/confirm/<str:token>/", signup_views.confirm, name="confirm"),
    path("d/<str:token>/", privacy_views.export_download, name="export_download"),
    path("privacy/", rights_views.privacy, name="privacy"),
    path("privacy/verify/<uuid:key>/", rights_views.verify, name="privacy_verify"),
    path("privacy/confirm/<str:token>/", rights_views.confirm, name="privacy_confirm"),
    path("b/<slug:slug>/brand.css", brand_views.stylesheet, name="brand_css"),
    path("b/<slug:slug>/logo", brand_views.logo, name="brand_logo"),
]
