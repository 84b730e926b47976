"""REST routes of the years before delivery: /api/predelivery/…, /api/auctions/…."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api.auctions import AuctionViewSet, BidViewSet, ClearingRunViewSet
from capmarket.interfaces.api.predelivery import (
    ApplicationViewSet,
    ConfirmationViewSet,
    NoticeViewSet,
)
from capmarket.interfaces.api.predelivery_after import (
    EffectivenessTestViewSet,
    ListingViewSet,
    ProcedureViewSet,
)
from capmarket.interfaces.api.predelivery_outages import OutageAdjustmentViewSet, OutagePlanCancelViewSet

router = SimpleRouter()
router.register("predelivery/applications", ApplicationViewSet, basename="predelivery-application")
router.register("predelivery/notices", NoticeViewSet, basename="predelivery-notice")
router.register("predelivery/contract-documents", ConfirmationViewSet, basename="predelivery-confirmation")
router.register("predelivery/procedures", ProcedureViewSet, basename="predelivery-procedure")
router.register("predelivery/replacement-board", ListingViewSet, basename="predelivery-listing")
router.register("predelivery/effectiveness-tests", EffectivenessTestViewSet, basename="predelivery-test")
router.register("predelivery/outage-adjustment", OutageAdjustmentViewSet, basename="predelivery-outage-flag")
router.register("predelivery/outage-plans", OutagePlanCancelViewSet, basename="predelivery-outage-plan")
router.register("auctions/bids", BidViewSet, basename="auction-bid")
router.register("auctions/runs", ClearingRunViewSet, basename="auction-run")
router.register("auctions", AuctionViewSet, basename="auction")

urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
