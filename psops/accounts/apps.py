from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "psops.accounts"
    label = "accounts"
    verbose_name = "Accounts"
