from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "capacity"
    label = "capacity"
    verbose_name = "Capacity and effort"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capacity.effort import hooks as effort_hooks
        from capacity.planning import hooks as planning_hooks

        planning_hooks.register()
        effort_hooks.register()
