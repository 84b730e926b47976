from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "capmarket.domain.reporting"
    label = "reporting"
    verbose_name = "業務報告"
    default_auto_field = "django.db.models.BigAutoField"
