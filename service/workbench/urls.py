"""Workbench routes, under ``workbench/``."""

from __future__ import annotations

from django.urls import path

from service.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.runner, name="runner"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("validate/", views.validate, name="validate"),
    path("submit/", views.submit, name="submit"),
    path("jobs/", views.history, name="history"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/config.json", views.job_config, name="job-config"),
    path("jobs/<uuid:job_id>/result-table/", views.job_result_table, name="job-result-table"),
    path("jobs/<uuid:job_id>/rerun/", views.rerun, name="job-rerun"),
]
