"""URLs of every tenant host (<slug>.<base domain>)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

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
    # The admin's own sign-in form would skip the second factor and the throttle's
    # normalised address: tenant admins sign in through the app's page.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
        name="admin_login_redirect",
    ),
    path("admin/", admin.site.urls),
]
