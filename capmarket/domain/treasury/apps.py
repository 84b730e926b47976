from django.apps import AppConfig


class TreasuryConfig(AppConfig):
    name = "capmarket.domain.treasury"
    label = "treasury"
    verbose_name = "入出金（入金消込・振込・督促）"
    default_auto_field = "django.db.models.BigAutoField"
