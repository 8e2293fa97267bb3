"""URL map of the law pages: proof charts, characterisations and liability links.

Every path is below ``cases/<slug>/`` and every view checks membership (``case_view``).
"""

from django.urls import path

from .views import law

C = "cases/<slug:slug>/"

urlpatterns = [
    path(f"{C}proof-chart/", law.proof_chart, name="proof-chart"),
    path(f"{C}proof-chart/claims/<int:pk>/", law.proof_claim, name="proof-claim"),
    path(f"{C}incidents/<int:pk>/characterise", law.characterise, name="incident-characterise"),
    path(
        f"{C}characterisations/<int:pk>/",
        law.characterisation_detail,
        name="characterisation-detail",
    ),
    path(
        f"{C}characterisations/<int:pk>/delete",
        law.characterisation_delete,
        name="characterisation-delete",
    ),
    path(f"{C}assessments/<int:pk>/", law.assess, name="assessment-update"),
    path(f"{C}actors/<int:pk>/liability", law.liability_create, name="liability-create"),
    path(f"{C}liability/<int:pk>/", law.liability_detail, name="liability-detail"),
    path(f"{C}liability/<int:pk>/claims", law.liability_claims, name="liability-claims"),
    path(f"{C}liability/<int:pk>/delete", law.liability_delete, name="liability-delete"),
]
