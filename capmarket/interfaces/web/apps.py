from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "capmarket.interfaces.web"
    label = "capmarket_web"

    def ready(self) -> None:
        from capmarket.domain.predelivery.notices import notices_issued  # noqa: PLC0415
        from capmarket.interfaces.web import checks  # noqa: F401, PLC0415 (registers the deployment checks)
        from capmarket.interfaces.web.notice_rendering import render_issued_notices  # noqa: PLC0415

        notices_issued.connect(render_issued_notices, dispatch_uid="capmarket.web.render_issued_notices")
