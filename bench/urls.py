"""The product's URLs plus the baseline view the one-click benchmark compares against."""

from django.urls import include, path

from bench.views import baseline

urlpatterns = [
    path("bench/baseline/<str:token>/", baseline, name="bench-baseline"),
    path("", include("config.urls")),
]
