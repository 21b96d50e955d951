from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psops.audit.links import audit_object_page_register

        audit_object_page_register(
            table="engagements_engagement",
            url_name="engagements:engagement_detail",
            kwarg="engagement_id",
        )
        audit_object_page_register(
            table="engagements_client", url_name="engagements:client_detail", kwarg="client_id"
        )
