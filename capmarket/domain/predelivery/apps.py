from django.apps import AppConfig


class PreDeliveryConfig(AppConfig):
    name = "capmarket.domain.predelivery"
    label = "predelivery"
    verbose_name = "実需給期間前の申込・通知"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the kinds of application reviewed in ``operations`` register their effects when imported
        from capmarket.domain.predelivery import workflows  # noqa: F401, PLC0415
