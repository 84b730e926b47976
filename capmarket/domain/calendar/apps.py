from django.apps import AppConfig


class BusinessCalendarConfig(AppConfig):
    name = "capmarket.domain.calendar"
    label = "business_calendar"
    verbose_name = "営業日カレンダー"
    default_auto_field = "django.db.models.BigAutoField"
