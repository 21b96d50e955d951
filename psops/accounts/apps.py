from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "psops.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from psops.audit.links import audit_object_page_register

        audit_object_page_register(
            table="accounts_user", url_name="accounts:user_edit", kwarg="user_id"
        )
