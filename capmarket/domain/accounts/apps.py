from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "capmarket.domain.accounts"
    label = "accounts"
    verbose_name = "利用者・権限"
    default_auto_field = "django.db.models.BigAutoField"
