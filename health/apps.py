from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The engagement page shows the risks found on it; engagements knows no health.
        from engagements.panels import EngagementPanel, engagement_panel_register
        from health.risks.selectors import engagement_risk_panel

        engagement_panel_register(
            EngagementPanel(
                name="risks",
                template="health/risks/engagement_panel.html",
                read=engagement_risk_panel,
            )
        )
