from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "engagements"
    default_auto_field = "django.db.models.BigAutoField"
