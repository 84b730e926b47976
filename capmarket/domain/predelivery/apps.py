from django.apps import AppConfig


class PreDeliveryConfig(AppConfig):
    name = "capmarket.domain.predelivery"
    label = "predelivery"
    verbose_name = "実需給期間前の申込・通知"
    default_auto_field = "django.db.models.BigAutoField"
