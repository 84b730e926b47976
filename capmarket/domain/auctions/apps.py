from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "capmarket.domain.auctions"
    label = "auctions"
    verbose_name = "容量オークション"
    default_auto_field = "django.db.models.BigAutoField"
