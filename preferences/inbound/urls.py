from django.urls import path

from preferences.inbound import views

app_name = "inbound"

urlpatterns = [
    path("ses/", views.ses_webhook, name="ses"),
    path("sendgrid/", views.sendgrid_webhook, name="sendgrid"),
    path("mailgun/", views.mailgun_webhook, name="mailgun"),
    path("postmark/", views.postmark_webhook, name="postmark"),
]
