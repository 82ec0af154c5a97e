"""HTTP routes of live progress, mounted under ``api/`` beside the API's own."""

from __future__ import annotations

from django.urls import path

from service.live import views

urlpatterns = [
    path("jobs/<uuid:job_id>/events/", views.JobEventsApi.as_view(), name="job-events"),
    path("jobs/<uuid:job_id>/events", views.JobEventsApi.as_view()),
]
