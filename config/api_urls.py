"""The API router: every app's API views under /api/v1/."""

from django.urls import path

from anonymizer import api as anonymizer_api
from preferences import api as preferences_api
from preferences import suppressions_api
from preferences.imports import api as imports_api
from preferences.privacy import api as privacy_api
from preferences.propagation import api as propagation_api

urlpatterns = [
    path("subjects", preferences_api.SubjectUpsertApi.as_view(), name="api-subjects-upsert"),
    path("subjects/<str:subject_id>", preferences_api.SubjectDetailApi.as_view(),
         name="api-subject"),
    path("subjects/<str:subject_id>/subscriptions",
         preferences_api.SubscriptionsChangeApi.as_view(), name="api-subscriptions"),
    path("subjects/<str:subject_id>/unsubscribe-all",
         preferences_api.UnsubscribeAllApi.as_view(), name="api-unsubscribe-all"),
    path("subjects/<str:subject_id>/purposes", privacy_api.SubjectPurposesApi.as_view(),
         name="api-purposes"),
    path("subjects/<str:subject_id>/export", privacy_api.SubjectExportApi.as_view(),
         name="api-export"),
    path("subjects/<str:subject_id>/links", preferences_api.SubjectLinksApi.as_view(),
         name="api-links"),
    path("consent/check", preferences_api.ConsentCheckApi.as_view(), name="api-consent-check"),
    path("destinations", propagation_api.DestinationHealthApi.as_view(),
         name="api-destinations"),
    path("deliveries/retry", propagation_api.DeliveriesRetryApi.as_view(),
         name="api-deliveries-retry"),
    path("scrub", anonymizer_api.ScrubApi.as_view(), name="api-scrub"),
    path("erasures", anonymizer_api.ErasureCreateApi.as_view(), name="api-erasures"),
    path("erasures/<str:erasure_id>", anonymizer_api.ErasureStatusApi.as_view(),
         name="api-erasure"),
    path("events", privacy_api.EventsIngestApi.as_view(), name="api-events"),
    path("suppressions", suppressions_api.SuppressionAddApi.as_view(), name="api-suppressions"),
    path("suppressions/lift", suppressions_api.SuppressionLiftApi.as_view(),
         name="api-suppressions-lift"),
    path("imports", imports_api.ImportCreateApi.as_view(), name="api-imports"),
    path("imports/<str:import_id>", imports_api.ImportStatusApi.as_view(), name="api-import"),
    path("imports/<str:import_id>/problems", imports_api.ImportProblemsApi.as_view(),
         name="api-import-problems"),
]
