"""Login, portal top, password change, user management, notices, rule sets, audit log."""

from django.urls import path

from capmarket.interfaces.web.views import accounts, audit, notices, rulesets

urlpatterns = [
    path("", accounts.portal, name="portal"),
    path("login/", accounts.login_view, name="login"),
    path("logout/", accounts.logout_view, name="logout"),
    path("password/", accounts.password_change, name="password_change"),
    path("users/", accounts.user_list, name="user_list"),
    path("users/new/", accounts.user_create, name="user_create"),
    path("users/<int:pk>/", accounts.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", accounts.user_edit, name="user_edit"),
    path("users/<int:pk>/lock/", accounts.user_lock, name="user_lock"),
    path("users/<int:pk>/unlock/", accounts.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-password/", accounts.user_reset_password, name="user_reset_password"),
    path("rulesets/", rulesets.ruleset_list, name="ruleset_list"),
    path("rulesets/<int:pk>/", rulesets.ruleset_detail, name="ruleset_detail"),
    path("rulesets/<int:pk>/publish/", rulesets.ruleset_publish, name="ruleset_publish"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/new/", notices.notice_create, name="notice_create"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("audit/", audit.audit_list, name="audit_list"),
]
