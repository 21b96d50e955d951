"""URLs of every tenant host (<slug>.<base domain>): the product, its API, no Django admin."""

from django.urls import include, path

from handoffs.api import api

# The composition root: the only module that knows every app.
urlpatterns = [
    path("", include("health.home.urls")),
    path("", include("psops.accounts.urls")),
    path("", include("psops.outbox.urls")),
    path("", include("psops.audit.urls")),
    path("", include("engagements.urls")),
    path("", include("handoffs.urls")),
    path("", include("capacity.urls")),
    path("", include("health.kpis.urls")),
    path("", include("health.checkins.urls")),
    path("", include("health.pulse.urls")),
    path("", include("health.risks.urls")),
    path("api/v1/", api.urls),
    # No Django admin here: it edits rows past the services' rules (anyone's email
    # address, then a password reset to it, is an account takeover) and deletes
    # history. Everything an organization's admin does is in its own pages
    # (Settings); the operators' admin is on the public host only.
]
