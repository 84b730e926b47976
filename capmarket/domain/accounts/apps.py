from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "capmarket.domain.accounts"
    label = "accounts"
    verbose_name = "利用者・権限"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from capmarket.domain.accounts import models, operations  # noqa: PLC0415 - once the apps are loaded

        models.register_account_issuer(operations.create_account)
