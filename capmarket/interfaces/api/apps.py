from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "capmarket.interfaces.api"
    label = "capmarket_api"
