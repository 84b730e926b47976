"""REST routes of the registry: /api/participants/, /api/resources/, /api/contracts/."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.registry import CapacityContractViewSet, ParticipantViewSet, ResourceViewSet

router = SimpleRouter()
router.register("participants", ParticipantViewSet, basename="participant")
router.register("resources", ResourceViewSet, basename="resource")
router.register("contracts", CapacityContractViewSet, basename="contract")

urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
