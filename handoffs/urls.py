from django.urls import path

from handoffs.views import packets, reports, tokens

app_name = "handoffs"

urlpatterns = [
    path("handoffs/", packets.packet_list, name="packet_list"),
    path("handoffs/report/", reports.report, name="report"),
    path("handoffs/new/", packets.packet_create, name="packet_create"),
    path("handoffs/<int:packet_id>/", packets.packet_detail, name="packet_detail"),
    path("handoffs/<int:packet_id>/edit/", packets.packet_edit, name="packet_edit"),
    path("handoffs/<int:packet_id>/submit/", packets.packet_submit, name="packet_submit"),
    path("handoffs/<int:packet_id>/review/", packets.packet_review, name="packet_review"),
    path("handoffs/<int:packet_id>/comments/", packets.packet_comment, name="packet_comment"),
    path("handoffs/<int:packet_id>/assign/", packets.packet_assign, name="packet_assign"),
    path("handoffs/<int:packet_id>/sow/", packets.packet_sow, name="packet_sow"),
    path("settings/api-tokens/", tokens.api_token_list, name="api_token_list"),
    path("settings/api-tokens/new/", tokens.api_token_create, name="api_token_create"),
    path(
        "settings/api-tokens/<int:token_id>/revoke/",
        tokens.api_token_revoke,
        name="api_token_revoke",
    ),
]
