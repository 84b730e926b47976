from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "capmarket.domain.alerts"
    label = "alerts"
    verbose_name = "広域予備率低下時の事業者対応"
    default_auto_field = "django.db.models.BigAutoField"
