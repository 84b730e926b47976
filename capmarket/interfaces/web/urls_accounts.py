"""Login, portal top, password change, user management, notices, rule sets, audit log."""

from django.urls import path

from capmarket.interfaces.web.views import accounts

urlpatterns = [
    path("", accounts.portal, name="portal"),
    path("login/", accounts.login_view, name="login"),
]
