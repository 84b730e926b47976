from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "capmarket.interfaces.ops"
    label = "ops"
    verbose_name = "運用"

    def ready(self) -> None:
        from capmarket.interfaces.ops import checks  # noqa: F401, PLC0415 (registers the deployment checks)
