from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _kpi_triggers_install(*, using: str, **kwargs: object) -> None:
    from health.kpis.cache import kpi_triggers_install

    kpi_triggers_install(using)


class HealthConfig(AppConfig):
    name = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After every migrate of a schema: each table the KPIs read counts its writes
        # (health.kpis.cache), including tables that migrate just created.
        post_migrate.connect(_kpi_triggers_install, sender=self)

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
