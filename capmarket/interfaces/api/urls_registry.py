"""REST routes of the registry: /api/participants/, /api/resources/, /api/contracts/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.contract_changes import ContractChangeRequestViewSet
from capmarket.interfaces.api.registry import CapacityContractViewSet, ParticipantViewSet, ResourceViewSet

router = SimpleRouter()
router.register("participants", ParticipantViewSet, basename="participant")
router.register("resources", ResourceViewSet, basename="resource")
router.register("contracts", CapacityContractViewSet, basename="contract")
router.register("contract-change-requests", ContractChangeRequestViewSet, basename="contract-change-request")

urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
