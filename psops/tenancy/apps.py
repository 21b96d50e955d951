from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "psops.tenancy"
    label = "tenancy"
    verbose_name = "Organizations"
