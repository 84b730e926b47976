from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "capmarket.domain.notifications"
    label = "notifications"
    verbose_name = "メール送信"
    default_auto_field = "django.db.models.BigAutoField"
