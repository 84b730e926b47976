from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "capmarket.domain.access"
    label = "access"
    verbose_name = "システム利用（証明書・利用停止・受託者・利用申込）"
    default_auto_field = "django.db.models.BigAutoField"
