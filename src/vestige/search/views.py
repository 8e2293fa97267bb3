"""The search page: results grouped by facets with counts, links to each record's page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from ..cases.access import visible_cases
from ..core.errors import NotFound, UserError
from .service import WINDOW, Hit, SearchFilters, SearchResults, search

FACET_PARAMS = {
    "type": "type",
    "case": "case",
    "item_kind": "item_kind",
    "incident_type": "incident_type",
    "place": "place",
}
FACET_TITLES = {
    "type": "Kind of record",
    "case": "Case",
    "item_kind": "Item kind",
    "incident_type": "Incident type",
    "year": "Year",
    "place": "Place",
}
PAGE = 20


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"not a date: {value!r} (use YYYY-MM-DD)") from exc


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise UserError(f"not a number: {value!r}") from exc


def filters_from(params: QueryDict) -> SearchFilters:
    """The filters a query string names (repeatable keys for lists)."""
    date_from, date_to = _date(params.get("from")), _date(params.get("to"))
    year = params.get("year", "")
    if year.isdigit() and len(year) == 4:
        date_from, date_to = date(int(year), 1, 1), date(int(year), 12, 31)
    return SearchFilters(
        cases=[v for v in params.getlist("case") if v],
        types=[v for v in params.getlist("type") if v],
        item_kinds=[v for v in params.getlist("item_kind") if v],
        incident_types=[v for v in params.getlist("incident_type") if v],
        date_from=date_from,
        date_to=date_to,
        place=_int(params.get("place")),
    )


def _reverse(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def hit_url(hit: Hit, fallback_slug: str | None) -> str | None:
    """The page of the record found (None when no such page exists yet)."""
    slug = hit.case_slug or fallback_slug
    if not slug:
        return None
    if hit.record_type == "item":
        return _reverse("item-detail", slug, hit.record_id)
    if hit.record_type == "claim":
        url = _reverse("claim-detail", slug, int(hit.record_id))
        if url is None and hit.item_ref:
            url = _reverse("item-detail", slug, hit.item_ref)
            return f"{url}#claim-{hit.record_id}" if url else None
        return url
    return _reverse(f"{hit.record_type}-detail", slug, int(hit.record_id))


def _toggle(params: QueryDict, key: str, value: str) -> str:
    """The query string with ``key=value`` switched on (or off when already on)."""
    copy = params.copy()
    copy.pop("page", None)
    if key == "year":
        copy.pop("from", None)
        copy.pop("to", None)
    current = copy.getlist(key)
    if value in current:
        copy.setlist(key, [v for v in current if v != value])
    else:
        copy.setlist(key, [value] if key in ("place", "year") else [*current, value])
    return copy.urlencode()


def _facet_groups(results: SearchResults, params: QueryDict) -> list[dict[str, Any]]:
    groups = []
    for name, values in results.facets.items():
        if not values or name not in FACET_TITLES:
            continue
        active = set(params.getlist(name))
        groups.append({
            "name": name,
            "title": FACET_TITLES[name],
            "values": [
                {"label": v.label, "count": v.count, "active": v.value in active,
                 "query": _toggle(params, name, v.value)}
                for v in values if v.value != "" or name != "case"
            ],
        })
    return groups


@require_GET
@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Search every case the user is a member of; narrow by the facets."""
    query = request.GET.get("q", "").strip()
    raw_page = request.GET.get("page", "")
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    error = None
    results = None
    try:
        filters = filters_from(request.GET)
        if query:
            results = search(query, user=request.user, filters=filters, limit=PAGE,
                             offset=(page - 1) * PAGE)
    except NotFound as exc:
        raise Http404("No such case.") from exc
    except UserError as exc:
        error = str(exc)
    fallback = (filters.cases[0] if error is None and filters.cases else None) or (
        visible_cases(request.user).order_by("slug").values_list("slug", flat=True).first()
    )
    hits = [{"hit": h, "url": hit_url(h, fallback)} for h in results.hits] if results else []
    params = request.GET.copy()
    active_filters = [
        {"label": f"{FACET_TITLES.get(key, key)}: {value}", "query": _toggle(params, key, value)}
        for key in ("case", "type", "item_kind", "incident_type", "year", "place")
        for value in params.getlist(key) if value
    ]
    pages = {}
    if results and results.total > page * PAGE:
        nxt = params.copy()
        nxt["page"] = str(page + 1)
        pages["next"] = nxt.urlencode()
    if results and page > 1:
        prev = params.copy()
        prev["page"] = str(page - 1)
        pages["previous"] = prev.urlencode()
    context = {
        "q": query,
        "results": results,
        "hits": hits,
        "facets": _facet_groups(results, params) if results else [],
        "active_filters": active_filters,
        "error": error,
        "page": page,
        "pages": pages,
        "nav": "search",
        "window": WINDOW,
    }
    return render(request, "search/search.html", context)
