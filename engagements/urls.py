from django.urls import path

from engagements.views import clients, engagements, records

app_name = "engagements"

urlpatterns = [
    path("clients/", clients.client_list, name="client_list"),
    path("clients/new/", clients.client_create, name="client_create"),
    path("clients/<int:client_id>/", clients.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", clients.client_edit, name="client_edit"),
    path(
        "clients/<int:client_id>/stakeholders/new/",
        clients.stakeholder_create,
        name="stakeholder_create",
    ),
    path(
        "stakeholders/<int:stakeholder_id>/edit/", clients.stakeholder_edit, name="stakeholder_edit"
    ),
    path("engagements/", engagements.engagement_list, name="engagement_list"),
    path("engagements/new/", engagements.engagement_create, name="engagement_create"),
    path(
        "engagements/<int:engagement_id>/", engagements.engagement_detail, name="engagement_detail"
    ),
    path(
        "engagements/<int:engagement_id>/edit/", engagements.engagement_edit, name="engagement_edit"
    ),
    path(
        "engagements/<int:engagement_id>/reset/",
        engagements.engagement_reset,
        name="engagement_reset",
    ),
    path(
        "engagements/<int:engagement_id>/timeline/",
        engagements.engagement_timeline,
        name="engagement_timeline",
    ),
    path(
        "engagements/<int:engagement_id>/notes/",
        engagements.engagement_note_add,
        name="engagement_note_add",
    ),
    path(
        "engagements/<int:engagement_id>/pain-points/quick/",
        engagements.pain_point_quick_log,
        name="pain_point_quick_log",
    ),
    path(
        "engagements/<int:engagement_id>/pain-points/new/",
        records.pain_point_create,
        name="pain_point_create",
    ),
    path("pain-points/<int:pain_point_id>/", records.pain_point_detail, name="pain_point_detail"),
    path("pain-points/<int:pain_point_id>/edit/", records.pain_point_edit, name="pain_point_edit"),
    path(
        "engagements/<int:engagement_id>/recommendations/new/",
        records.recommendation_create,
        name="recommendation_create",
    ),
    path(
        "recommendations/<int:recommendation_id>/edit/",
        records.recommendation_edit,
        name="recommendation_edit",
    ),
    path(
        "recommendations/<int:recommendation_id>/decide/",
        records.recommendation_decide,
        name="recommendation_decide",
    ),
    path(
        "engagements/<int:engagement_id>/followups/new/",
        records.followup_create,
        name="followup_create",
    ),
    path("followups/mine/", records.followups_mine, name="followups_mine"),
    path("followups/<int:followup_id>/done/", records.followup_done, name="followup_done"),
    path("followups/<int:followup_id>/cancel/", records.followup_cancel, name="followup_cancel"),
    path(
        "engagements/<int:engagement_id>/escalations/new/",
        records.escalation_create,
        name="escalation_create",
    ),
    path(
        "escalations/<int:escalation_id>/status/",
        records.escalation_status,
        name="escalation_status",
    ),
]
