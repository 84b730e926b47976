"""API routes of the accounts context: token, me, users, rule sets, notices."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from capmarket.interfaces.api import accounts

router = SimpleRouter()
router.register("users", accounts.UserViewSet, basename="user")
router.register("rulesets", accounts.RuleSetViewSet, basename="ruleset")
router.register("notices", accounts.NoticeViewSet, basename="notice")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", accounts.ObtainTokenView.as_view(), name="token"),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("me/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    *router.urls,
]
