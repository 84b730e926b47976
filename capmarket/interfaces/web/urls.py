from django.urls import path

from capmarket.interfaces.web import views

app_name = "web"

urlpatterns = [
    path("", views.portal, name="portal"),
    path("login/", views.login_view, name="login"),
]
