from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "capmarket.domain.notices"
    label = "notices"
    verbose_name = "お知らせ"
    default_auto_field = "django.db.models.BigAutoField"
