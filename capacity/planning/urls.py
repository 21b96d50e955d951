"""Planning routes, in the ``capacity`` namespace (capacity/urls.py includes them)."""

from django.urls import path

from capacity.planning import views

urlpatterns = [
    path("capacity/", views.capacity_grid, name="capacity_grid"),
    path("capacity/people/<int:user_id>/", views.person_capacity, name="person_capacity"),
    path("capacity/people/<int:user_id>/time-off/", views.time_off_add, name="time_off_add"),
    path(
        "capacity/time-off/<int:time_off_id>/delete/",
        views.time_off_delete,
        name="time_off_delete",
    ),
    path(
        "capacity/people/<int:user_id>/working-hours/",
        views.working_pattern_set,
        name="working_pattern_set",
    ),
    path(
        "capacity/people/<int:user_id>/weekly-hours/",
        views.weekly_capacity_set,
        name="weekly_capacity_set",
    ),
    path(
        "capacity/engagements/<int:engagement_id>/allocate/",
        views.allocation_create,
        name="allocation_create",
    ),
    path(
        "capacity/allocations/<int:allocation_id>/",
        views.allocation_edit,
        name="allocation_edit",
    ),
    path(
        "capacity/allocations/<int:allocation_id>/delete/",
        views.allocation_delete,
        name="allocation_delete",
    ),
    path(
        "capacity/packets/<int:packet_id>/demand/",
        views.packet_demand_add,
        name="packet_demand_add",
    ),
    path(
        "capacity/demand/<int:demand_id>/delete/",
        views.packet_demand_delete,
        name="packet_demand_delete",
    ),
]
