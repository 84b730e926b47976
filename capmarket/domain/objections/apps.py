from django.apps import AppConfig


class ObjectionsConfig(AppConfig):
    name = "capmarket.domain.objections"
    label = "objections"
    verbose_name = "異議申し立て"
    default_auto_field = "django.db.models.BigAutoField"
