"""URL of the search page."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.search_page, name="search"),
]
