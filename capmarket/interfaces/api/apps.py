from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "capmarket.interfaces.api"
    label = "capmarket_api"

    def ready(self) -> None:
        from capmarket.domain.accounts.signals import credentials_revoked  # noqa: PLC0415
        from capmarket.interfaces.api.authentication import revoke_tokens  # noqa: PLC0415

        credentials_revoked.connect(revoke_tokens, dispatch_uid="capmarket.api.revoke_tokens")
