from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "capmarket.domain.contracts"
    label = "contracts"
    verbose_name = "容量確保契約"
    default_auto_field = "django.db.models.BigAutoField"
