from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "capmarket.domain.settlement"
    label = "settlement"
    verbose_name = "精算処理"
    default_auto_field = "django.db.models.BigAutoField"
