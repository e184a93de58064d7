from django.urls import path

from bench.bare.views import one_click

urlpatterns = [path("u/<str:token>/", one_click)]
