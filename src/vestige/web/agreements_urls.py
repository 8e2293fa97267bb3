"""URL map of the agreement pages. Every path is below ``cases/<slug>/`` and every view checks
membership (``case_view``)."""

from django.urls import path

from .views import agreements

C = "cases/<slug:slug>/"

urlpatterns = [
    path(f"{C}agreements/", agreements.agreement_list, name="agreement-list"),
    path(
        f"{C}agreements/<str:agreement_id>/", agreements.agreement_detail,
        name="agreement-detail",
    ),
    path(f"{C}incidents/<int:pk>/allege", agreements.incident_allege, name="incident-allege"),
]
