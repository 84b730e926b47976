from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "capmarket.interfaces.web"
    label = "capmarket_web"

    def ready(self) -> None:
        from capmarket.interfaces.web import checks  # noqa: F401, PLC0415 (registers the deployment checks)
