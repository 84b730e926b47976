from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "capmarket.interfaces.cli"
    label = "capmarket_cli"
