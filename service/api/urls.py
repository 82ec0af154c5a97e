"""API routes. Each works with or without its trailing slash (a POST is never redirected)."""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from service.api import views

app_name = "api"


def route(pattern: str, view, name: str) -> list[URLPattern]:
    """``pattern/`` (named, documented) and its slash-less alias."""
    return [path(f"{pattern}/", view, name=name), path(pattern, view)]


urlpatterns = [
    *route("submit", views.JobSubmitApi.as_view(), "job-submit"),
    *route("status/<uuid:job_id>", views.JobStatusApi.as_view(), "job-status"),
    *route("results/<uuid:job_id>", views.JobResultApi.as_view(), "job-result"),
    *route("jobs", views.JobListApi.as_view(), "job-list"),
    *route("jobs/<uuid:job_id>/cancel", views.JobCancelApi.as_view(), "job-cancel"),
    *route("defaults", views.DefaultsApi.as_view(), "defaults"),
    *route("auth/token", views.TokenApi.as_view(), "token"),
    *route("auth/token/revoke", views.TokenRevokeApi.as_view(), "token-revoke"),
    *route("schema", SpectacularAPIView.as_view(), "schema"),
    # the page and its script apart: no inline script, so it works under the site's CSP
    *route("docs", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), "docs"),
]
