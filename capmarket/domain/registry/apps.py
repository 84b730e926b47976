from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "capmarket.domain.registry"
    label = "registry"
    verbose_name = "参加登録"
    default_auto_field = "django.db.models.BigAutoField"
