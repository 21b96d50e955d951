from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _audit_triggers_install(*, using: str, **kwargs: object) -> None:
    from psops.audit.triggers import audit_triggers_install

    audit_triggers_install(using)


class AuditConfig(AppConfig):
    name = "psops.audit"
    label = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from psops.audit import context

        # After every migrate of a schema, every table of the tenant apps records its
        # writes (psops.audit.triggers), including tables that migrate just created.
        post_migrate.connect(_audit_triggers_install, sender=self)
        context.connect()
