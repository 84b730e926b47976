from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "capmarket.domain.ledger"
    label = "ledger"
    verbose_name = "会計（仕訳・元帳・締め）"
    default_auto_field = "django.db.models.BigAutoField"
