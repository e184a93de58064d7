from django.urls import path

from audit.console import analytics, auth_views, brands, erasures, mail_feedback, views

app_name = "console"

urlpatterns = [
    path("login/", auth_views.login, name="login"),
    path("verify/", auth_views.verify, name="verify"),
    path("enrol/", auth_views.enrol, name="enrol"),
    path("logout/", auth_views.logout, name="logout"),
    path("no-role/", auth_views.no_role, name="no_role"),
    path("", views.overview, name="overview"),
    path("audit/", views.audit_trail, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/retry/", views.deliveries_retry, name="deliveries_retry"),
    path("destinations/<int:pk>/pause/", views.destination_pause, name="destination_pause"),
    path("destinations/<int:pk>/resume/", views.destination_resume, name="destination_resume"),
    path("subjects/", views.subjects, name="subjects"),
    path("subjects/<uuid:public_id>/", views.subject_detail, name="subject"),
    path("subjects/<uuid:public_id>/link/", views.subject_send_link, name="subject_link"),
    path("erasures/", erasures.erasure_list, name="erasures"),
    path("erasures/<int:pk>/", erasures.erasure_detail, name="erasure"),
    path("erasures/<int:pk>/report.json", erasures.erasure_report_download,
         name="erasure_report"),
    path("erasures/<int:pk>/retry/", erasures.erasure_retry, name="erasure_retry"),
    path("pii/", erasures.pii_catalog, name="pii"),
    path("analytics/", analytics.analytics, name="analytics"),
    path("analytics/release/", analytics.analytics_release, name="analytics_release"),
    path("mail-feedback/", mail_feedback.mail_feedback, name="mail_feedback"),
    path("brands/", brands.brand_list, name="brands"),
    path("brands/new/", brands.brand_edit, name="brand_new"),
    path("brands/<int:pk>/", brands.brand_edit, name="brand"),
]
