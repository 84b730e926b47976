from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "capmarket.domain.jobs"
    label = "jobs"
    verbose_name = "バックグラウンド処理"
    default_auto_field = "django.db.models.BigAutoField"
