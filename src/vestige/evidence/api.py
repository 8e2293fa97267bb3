"""API endpoints for cases, items and import."""

from ninja import Router

router = Router(tags=["evidence"])
