from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "capmarket.domain.documents"
    label = "documents"
    verbose_name = "帳票（支払通知書・請求書）"
    default_auto_field = "django.db.models.BigAutoField"
