"""URLs of every tenant host (<slug>.<base domain>)."""

from django.contrib import admin
from django.urls import include, path

from handoffs.api import api
from psops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("psops.accounts.urls")),
    path("", include("engagements.urls")),
    path("", include("handoffs.urls")),
    path("", include("health.urls_kpis")),
    path("", include("health.urls_checkins")),
    path("", include("health.urls_pulse")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
