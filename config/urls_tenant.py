"""URLs of every tenant host (<slug>.<base domain>)."""

from django.contrib import admin
from django.urls import include, path

from handoffs.api import api

# The composition root: the only module that knows every app.
urlpatterns = [
    path("", include("health.home.urls")),
    path("", include("psops.accounts.urls")),
    path("", include("psops.outbox.urls")),
    path("", include("engagements.urls")),
    path("", include("handoffs.urls")),
    path("", include("health.kpis.urls")),
    path("", include("health.checkins.urls")),
    path("", include("health.pulse.urls")),
    path("", include("health.risks.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
