from django.apps import AppConfig


class OutagesConfig(AppConfig):
    name = "capmarket.domain.outages"
    label = "outages"
    verbose_name = "容量停止計画"
    default_auto_field = "django.db.models.BigAutoField"
