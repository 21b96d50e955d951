from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "psops.outbox"
    label = "outbox"
    verbose_name = "Email outbox"
