"""Study routes, mounted under ``api/``; each works with or without its trailing slash."""

from __future__ import annotations

from django.urls import URLPattern, path

from service.studies import views

app_name = "studies"


def route(pattern: str, view: object, name: str) -> list[URLPattern]:
    """``pattern/`` (named, documented) and its slash-less alias."""
    return [path(f"{pattern}/", view, name=name), path(pattern, view)]  # type: ignore[arg-type]


urlpatterns = [
    *route("studies", views.StudyListApi.as_view(), "study-list"),
    *route("studies/<uuid:study_id>", views.StudyDetailApi.as_view(), "study-detail"),
    *route("studies/<uuid:study_id>/cancel", views.StudyCancelApi.as_view(), "study-cancel"),
]
