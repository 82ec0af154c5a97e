"""Root routes: the API, health probes and the admin (where users are managed)."""

from django.contrib import admin
from django.urls import include, path

from service.api import views

urlpatterns = [
    path("api/", include("service.api.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]

handler400 = "service.api.errors.bad_request"
handler403 = "service.api.errors.permission_denied"
handler404 = "service.api.errors.page_not_found"
handler500 = "service.api.errors.server_error"
