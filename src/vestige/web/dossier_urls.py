"""URLs of dossiers (built from an actor's page)."""

from django.urls import path

from .views import dossiers

urlpatterns = [
    path("cases/<slug:slug>/actors/<int:pk>/dossier", dossiers.actor_dossier,
         name="actor-dossier"),
]
