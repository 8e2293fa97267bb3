"""URLs of web capture in the UI, and the sandboxed replay (its own path, its own CSP)."""

from django.urls import path

from .views import captures, replay

urlpatterns = [
    path("cases/<slug:slug>/captures/", captures.capture_list, name="capture-list"),
    path("cases/<slug:slug>/captures/status.json", captures.capture_status,
         name="capture-status"),
    path("cases/<slug:slug>/captures/<uuid:capture_id>/", captures.capture_detail,
         name="capture-detail"),
    path("cases/<slug:slug>/captures/<uuid:capture_id>/screenshot",
         captures.capture_screenshot, name="capture-screenshot"),
    path("replay/<slug:slug>/<uuid:capture_id>/<str:token>/", replay.replay,
         name="capture-replay-root"),
    path("replay/<slug:slug>/<uuid:capture_id>/<str:token>/<path:target>", replay.replay,
         name="capture-replay"),
]
