"""URL map of the protection registry pages, below ``cases/<slug>/registry/``.

Every view checks membership and the registry permission it needs (``case_view``); a
non-member gets 404 on every one of these paths.
"""

from django.urls import path

from .views import registry, registry_records

R = "cases/<slug:slug>/registry/"
P = f"{R}<uuid:person_id>/"

urlpatterns = [
    path(R, registry.registry_list, name="registry-list"),
    path(f"{R}new/", registry.person_create, name="registry-person-create"),
    path(f"{R}claims/", registry.claim_list, name="registry-claims"),
    path(f"{R}statistics/", registry_records.statistics, name="registry-statistics"),
    path(f"{R}statistics.csv", registry_records.statistics_csv,
         name="registry-statistics-csv"),
    path(f"{R}duplicates/", registry_records.duplicate_queue, name="registry-duplicates"),
    path(f"{R}duplicates/scan", registry_records.duplicate_scan, name="registry-duplicate-scan"),
    path(f"{R}duplicates/<int:pk>/", registry_records.duplicate_detail,
         name="registry-duplicate"),
    path(f"{R}audit/", registry.audit_list, name="registry-audit"),
    path(P, registry.person_detail, name="registry-person"),
    path(f"{P}reveal", registry.person_reveal, name="registry-reveal"),
    path(f"{P}consents/new", registry_records.consent_create, name="registry-consent-create"),
    path(f"{P}consents/<int:consent_id>/withdraw", registry_records.consent_withdraw,
         name="registry-consent-withdraw"),
    path(f"{P}claims/new", registry_records.claim_create, name="registry-claim-create"),
]
