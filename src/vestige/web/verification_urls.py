"""URLs of verification records and provenance findings (all below ``cases/<slug>/``)."""

from django.urls import path

from .views import verification

C = "cases/<slug:slug>/"

urlpatterns = [
    path(f"{C}items/<uuid:item_id>/verification/new", verification.item_record_create,
         name="item-verification-create"),
    path(f"{C}items/<uuid:item_id>/provenance", verification.item_provenance,
         name="item-provenance"),
    path(f"{C}claims/<int:pk>/verification/", verification.claim_verification,
         name="claim-verification"),
    path(f"{C}claims/<int:pk>/verification/new", verification.claim_record_create,
         name="claim-verification-create"),
    path(f"{C}verification/<int:pk>/<str:action>", verification.record_action,
         name="verification-action"),
]
