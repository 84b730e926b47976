"""Django system checks of the deployment (``capmarket check --deploy``): the access rules' settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def client_certificates_need_the_proxy_secret(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """With client certificates required, the application believes the TLS front only with the shared secret; without
    it every participant is refused (the safe way round, but surely not what was meant)."""
    if settings.CAPMARKET_CLIENT_CERTIFICATES and len(settings.CAPMARKET_CLIENT_CERT_PROXY_SECRET) < 32:
        return [
            Warning(
                "CAPMARKET_CLIENT_CERTIFICATES is on but CAPMARKET_CLIENT_CERT_PROXY_SECRET is unset or shorter than "
                "32 characters: no client certificate will be believed and every participant will be refused.",
                hint="Set the same long random secret here and in the TLS front "
                "(deploy/nginx/capmarket.conf.template), or CAPMARKET_CLIENT_CERTIFICATES=0 where no TLS front "
                "checks certificates.",
                id="capmarket.W001",
            )
        ]
    return []
