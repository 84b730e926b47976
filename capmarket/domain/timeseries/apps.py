from django.apps import AppConfig


class TimeseriesConfig(AppConfig):
    name = "capmarket.domain.timeseries"
    label = "timeseries"
    verbose_name = "コマ別データ"
    default_auto_field = "django.db.models.BigAutoField"
