from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "capmarket.domain.audit"
    label = "audit"
    verbose_name = "監査ログ"
    default_auto_field = "django.db.models.BigAutoField"
