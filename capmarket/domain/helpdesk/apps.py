from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "capmarket.domain.helpdesk"
    label = "helpdesk"
    verbose_name = "問合せ対応"
    default_auto_field = "django.db.models.BigAutoField"
