"""URL map of the web UI. Every page below a case goes through its membership check."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .login import ThrottledLoginView
from .views import cases, files, items

urlpatterns = [
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", cases.case_list, name="case-list"),
    path("cases/<slug:slug>/", cases.case_detail, name="case-detail"),
    path("cases/<slug:slug>/upload", cases.case_upload, name="case-upload"),
    path("cases/<slug:slug>/verify", cases.case_verify, name="case-verify"),
    path("cases/<slug:slug>/items/<uuid:item_id>/", items.item_detail, name="item-detail"),
    path("cases/<slug:slug>/items/<uuid:item_id>/graphic", items.item_graphic,
         name="item-graphic"),
    path("cases/<slug:slug>/items/<uuid:item_id>/preview", files.item_preview,
         name="item-preview"),
    path("cases/<slug:slug>/items/<uuid:item_id>/download", files.item_download,
         name="item-download"),
    path("cases/<slug:slug>/items/<uuid:item_id>/derivatives/<int:pk>",
         files.derivative_download, name="derivative-download"),
    path("", include("vestige.web.graph_urls")),
    path("", include("vestige.web.capture_urls")),
    path("", include("vestige.web.registry_urls")),
    path("", include("vestige.web.screening_urls")),
    path("", include("vestige.web.law_urls")),
    path("", include("vestige.web.verification_urls")),
    path("", include("vestige.web.dossier_urls")),
    path("", include("vestige.web.corroboration_urls")),
    path("", include("vestige.web.watch_urls")),
    path("", include("vestige.web.heritage_urls")),
    path("", include("vestige.web.agreements_urls")),
]
