from django.apps import AppConfig


class HandoffsConfig(AppConfig):
    name = "handoffs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psops.audit.links import audit_object_page_register

        audit_object_page_register(
            table="handoffs_handoffpacket", url_name="handoffs:packet_detail", kwarg="packet_id"
        )
        # The engagement page shows what was sold; engagements knows no handoffs.
        from engagements.panels import EngagementPanel, engagement_panel_register
        from handoffs.selectors import engagement_sold_panel

        engagement_panel_register(
            EngagementPanel(
                name="sold",
                template="handoffs/engagement_panel.html",
                read=engagement_sold_panel,
                top=True,
            )
        )
