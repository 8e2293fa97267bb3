"""``GET /api/search``: one search over the caller's cases (and the shared gazetteer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.security import django_auth

from ..evidence.api import TokenAuth
from .service import SearchFilters, search

router = Router(tags=["search"], auth=[TokenAuth(), django_auth])


class SearchQuery(Schema):
    """Words and filters. Every word must match; scripts and diacritics do not matter."""

    q: str = Field("", description='the words, e.g. "Aliyev Stepanakert"')
    case: list[str] = Field(default_factory=list, description="only these cases (slugs)")
    type: list[str] = Field(
        default_factory=list, description="item, claim, incident, actor or place"
    )
    item_kind: list[str] = Field(default_factory=list, description="only items of these kinds")
    incident_type: list[str] = Field(
        default_factory=list, description="only incidents of these event types"
    )
    date_from: date | None = Field(None, description="dated no earlier than")
    date_to: date | None = Field(None, description="dated no later than")
    place: int | None = Field(None, description="only records about this place (id)")
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


class HitOut(Schema):
    """One record found, with a snippet of its original text."""

    type: str
    id: str
    case: str | None = Field(description="the case's slug; null for a shared gazetteer place")
    title: str
    snippet: str = Field(description="plain text around the matches")
    snippet_html: str = Field(description="the same, HTML-escaped, matches in <mark>")
    matched: list[str] = Field(description="the matched words as written")
    item_kind: str | None
    incident_type: str | None
    date_lower: date | None
    date_upper: date | None
    item: str | None = Field(description="a claim's item id")


class FacetOut(Schema):
    """One facet value and how many matches have it."""

    value: str
    label: str
    count: int


class SearchOut(Schema):
    """A page of hits, the total and the facets counted over every match."""

    query: str
    total: int
    fuzzy: bool = Field(description="true when nothing matched exactly and close matches are shown")
    approximate: bool = Field(
        description="true when there were too many matches: ranking and counts then cover the "
        "most recent 5,000"
    )
    limit: int
    offset: int
    hits: list[HitOut]
    facets: dict[str, list[FacetOut]]


@router.get("/search", response=SearchOut, summary="Search items, claims, incidents, places")
def search_endpoint(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, Any]:
    """Search the cases the caller is a member of (and shared gazetteer places).

    A case the caller is not a member of answers 404, as one that does not exist. Items' text
    is searched only in cases where the caller's role may download.
    """
    filters = SearchFilters(
        cases=params.case, types=params.type, item_kinds=params.item_kind,
        incident_types=params.incident_type, date_from=params.date_from,
        date_to=params.date_to, place=params.place,
    )
    results = search(
        params.q, user=request.auth, filters=filters,  # type: ignore[attr-defined]
        limit=params.limit, offset=params.offset,
    )
    return results.as_dict()
