"""URLs of near-duplicate suggestions and item links (all below ``cases/<slug>/``)."""

from django.urls import path

from .views import corroboration

C = "cases/<slug:slug>/"

urlpatterns = [
    path(f"{C}near-duplicates/", corroboration.queue, name="near-duplicates"),
    path(f"{C}near-duplicates/search", corroboration.search, name="near-duplicates-search"),
    path(f"{C}near-duplicates/<int:pk>/judge", corroboration.judge, name="near-duplicate-judge"),
    path(f"{C}items/<uuid:item_id>/links", corroboration.link, name="item-link"),
    path(f"{C}links/<int:pk>/remove", corroboration.unlink, name="item-unlink"),
]
