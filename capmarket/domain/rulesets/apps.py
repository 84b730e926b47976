from django.apps import AppConfig


class RulesetsConfig(AppConfig):
    name = "capmarket.domain.rulesets"
    label = "rulesets"
    verbose_name = "算定ルールセット"
    default_auto_field = "django.db.models.BigAutoField"
