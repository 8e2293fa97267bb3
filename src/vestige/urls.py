"""URL map: the web UI, the JSON API (with its OpenAPI schema at /api/docs) and the admin."""

from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("search/", include("vestige.search.urls")),
    path("", include("vestige.web.urls")),
]
