"""URLs of watched sources and their inbox."""

from django.urls import path

from .views import watch

urlpatterns = [
    path("cases/<slug:slug>/watch/", watch.watch_inbox, name="watch-inbox"),
    path(
        "cases/<slug:slug>/watch/entries/<int:entry_id>/read",
        watch.watch_mark_read,
        name="watch-mark-read",
    ),
]
