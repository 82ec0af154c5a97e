"""Root routes: the API (with live progress and studies), the workbench, probes and the admin."""

from django.contrib import admin
from django.urls import include, path

from service.api import views

urlpatterns = [
    path("api/", include("service.live.urls")),
    path("api/", include("service.api.urls")),
    path("api/", include("service.studies.urls")),
    path("workbench/", include("service.workbench.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]

handler400 = "service.api.errors.bad_request"
handler403 = "service.api.errors.permission_denied"
handler404 = "service.api.errors.page_not_found"
handler500 = "service.api.errors.server_error"
