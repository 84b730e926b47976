"""REST routes of system access: /api/access/… (certificates, delegations, suspensions, maintenance, limits,
applications, terminations, status)."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.access import ClientCertificateViewSet, TerminationViewSet, UseApplicationViewSet
from capmarket.interfaces.api.access_delegations import DelegationViewSet
from capmarket.interfaces.api.access_staff import (
    MaintenanceViewSet,
    RequestLimitView,
    ServiceStatusView,
    SuspensionViewSet,
)

router = SimpleRouter()
router.register("access/certificates", ClientCertificateViewSet, basename="access-certificate")
router.register("access/delegations", DelegationViewSet, basename="access-delegation")
router.register("access/suspensions", SuspensionViewSet, basename="access-suspension")
router.register("access/maintenance", MaintenanceViewSet, basename="access-maintenance")
router.register("access/applications", UseApplicationViewSet, basename="access-application")
router.register("access/terminations", TerminationViewSet, basename="access-termination")

urlpatterns: list[URLPattern | URLResolver] = [
    path("access/status/", ServiceStatusView.as_view(), name="access_status"),
    path("access/limits/", RequestLimitView.as_view(), name="access_limits"),
    *router.urls,
]
