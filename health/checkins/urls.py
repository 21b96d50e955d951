"""The weekly check-in and 1:1 pages."""

from django.urls import path

from health.checkins.views import one_on_ones, weekly

app_name = "checkins"

urlpatterns = [
    path("checkins/", weekly.checkin, name="checkin"),
    path("checkins/team/", weekly.checkin_team, name="team"),
    path("checkins/summary/", weekly.checkin_summary, name="summary"),
    path("one-on-ones/", one_on_ones.one_on_one_list, name="one_on_one_list"),
    path("one-on-ones/new/", one_on_ones.one_on_one_create, name="one_on_one_create"),
    path(
        "one-on-ones/<int:one_on_one_id>/",
        one_on_ones.one_on_one_detail,
        name="one_on_one_detail",
    ),
    path(
        "one-on-ones/<int:one_on_one_id>/shared-notes/",
        one_on_ones.one_on_one_shared_notes,
        name="one_on_one_shared_notes",
    ),
    path(
        "one-on-ones/<int:one_on_one_id>/private-note/",
        one_on_ones.one_on_one_private_note,
        name="one_on_one_private_note",
    ),
]
