"""URLs of every tenant host (<slug>.<base domain>)."""

from django.contrib import admin
from django.urls import include, path

from handoffs.api import api
from health.views import home

# The composition root: the only module that knows every app.
urlpatterns = [
    path("", home.home, name="home"),
    path("home/quick-log/", home.home_quick_log, name="home_quick_log"),
    path("", include("psops.accounts.urls")),
    path("", include("engagements.urls")),
    path("", include("handoffs.urls")),
    path("", include("health.urls_kpis")),
    path("", include("health.urls_checkins")),
    path("", include("health.urls_pulse")),
    path("", include("health.urls_risks")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
