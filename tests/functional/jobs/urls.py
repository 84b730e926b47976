"""The project's URLs plus the job routes, as they will be once ``api/urls.py`` and ``web/urls.py`` include them."""

from django.urls import include, path

from capmarket.interfaces.api import urls as api_urls
from capmarket.interfaces.api import urls_jobs as api_jobs
from capmarket.interfaces.web import urls as web_urls
from capmarket.interfaces.web import urls_jobs as web_jobs

urlpatterns = [
    path("api/", include(([*api_urls.urlpatterns, *api_jobs.urlpatterns], "api"))),
    path("", include(([*web_urls.urlpatterns, *web_jobs.urlpatterns], "web"))),
]
