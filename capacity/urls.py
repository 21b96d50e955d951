"""Routes of the capacity app: planning (capacity, time off, allocations, the grid)
and effort (timesheets, quick entry, budget burn)."""

from django.urls import include, path

app_name = "capacity"

urlpatterns = [
    path("", include("capacity.planning.urls")),
    path("", include("capacity.effort.urls")),
]
