"""The JSON API (django-ninja). Each app contributes a router."""

from ninja import NinjaAPI

from .evidence.api import router as evidence_router

api = NinjaAPI(
    title="Vestige API",
    version="1",
    description="Cases, items, custody and import. Every call checks case membership.",
    urls_namespace="api",
)
api.add_router("/", evidence_router)
