from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "capmarket.interfaces.web"
    label = "capmarket_web"
