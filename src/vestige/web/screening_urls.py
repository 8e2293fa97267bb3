"""URL map of sanctions screening pages (below a case: every view checks membership)."""

from django.urls import path

from .views import screening

C = "cases/<slug:slug>/"

urlpatterns = [
    path(f"{C}actors/<int:pk>/screening/", screening.actor_screening, name="actor-screening"),
    path(
        f"{C}actors/<int:pk>/screening/judge",
        screening.actor_screening_judge,
        name="actor-screening-judge",
    ),
]
