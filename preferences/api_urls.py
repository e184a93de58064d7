from django.urls import path

from anonymizer import api_erasure
from anonymizer.api_scrub import ScrubApi
from preferences import api, api_capture, api_deliveries

urlpatterns = [
    path("subjects", api.SubjectUpsertApi.as_view(), name="api-subjects-upsert"),
    path("subjects/<str:subject_id>", api.SubjectDetailApi.as_view(), name="api-subject"),
    path("subjects/<str:subject_id>/subscriptions", api.SubscriptionsChangeApi.as_view(),
         name="api-subscriptions"),
    path("subjects/<str:subject_id>/unsubscribe-all", api.UnsubscribeAllApi.as_view(),
         name="api-unsubscribe-all"),
    path("subjects/<str:subject_id>/purposes", api.SubjectPurposesApi.as_view(),
         name="api-purposes"),
    path("subjects/<str:subject_id>/export", api.SubjectExportApi.as_view(),
         name="api-export"),
    path("subjects/<str:subject_id>/links", api.SubjectLinksApi.as_view(), name="api-links"),
    path("consent/check", api.ConsentCheckApi.as_view(), name="api-consent-check"),
    path("destinations", api_deliveries.DestinationHealthApi.as_view(),
         name="api-destinations"),
    path("deliveries/retry", api_deliveries.DeliveriesRetryApi.as_view(),
         name="api-deliveries-retry"),
    path("scrub", ScrubApi.as_view(), name="api-scrub"),
    path("erasures", api_erasure.ErasureCreateApi.as_view(), name="api-erasures"),
    path("erasures/<str:erasure_id>", api_erasure.ErasureStatusApi.as_view(),
         name="api-erasure"),
    path("events", api_capture.EventsIngestApi.as_view(), name="api-events"),
]
