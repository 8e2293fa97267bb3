"""Incidents of a case: as a list, on a map, on a timeline; one incident with its evidence.

Every page is case-scoped through ``case_view``: a non-member gets 404. Changes go through
:mod:`vestige.cases.services_graph`, so every edit is kept with its state before and after.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ...cases import vocabularies
from ...cases.graph import (
    Actor,
    Claim,
    Incident,
    IncidentActor,
    IncidentCount,
    IncidentRelation,
    Place,
)
from ...cases.roles import Permission
from ...cases.services_graph import (
    CountRow,
    relate_incidents,
    resolve_place,
    save_incident,
    set_counts,
    set_incident_actors,
)
from ...core.errors import UserError
from ...protection.access import hide_claims_of_protected
from ..access import CaseAccess, case_view
from ..middleware import EXTRA_IMAGE_SOURCES, tile_origin
from .graph_forms import (
    CountFormSet,
    IncidentActorFormSet,
    IncidentFilterForm,
    IncidentForm,
    IncidentRelationForm,
)
from .graph_support import build_timeline, edit_view, history_for

INCIDENTS_PER_PAGE = 50
TIMELINE_LIMIT = 400
MAP_PLACES_LISTED = 50
INCIDENT_CHILDREN = {
    "cases.IncidentCount": "incident",
    "cases.IncidentActor": "incident",
    "cases.IncidentRelation": "source",
    "law.Characterisation": "incident",
}


def case_incident(access: CaseAccess, pk: int) -> Incident:
    """The incident ``pk`` of this case; 404 for any other case's."""
    return get_object_or_404(Incident, case=access.case, pk=pk)


def _event_types(access: CaseAccess) -> list[str]:
    return list(
        Incident.objects.filter(case=access.case).order_by().values_list("event_type", flat=True)
        .distinct()
    )


def _filtered(request: HttpRequest, access: CaseAccess) -> tuple[IncidentFilterForm,
                                                                  QuerySet[Incident]]:
    form = IncidentFilterForm(request.GET, event_types=_event_types(access))
    return form, form.apply(Incident.objects.filter(case=access.case))


def _base_context(access: CaseAccess, section: str, **extra: Any) -> dict[str, Any]:
    return {"access": access, "case": access.case, "can": access.can, "nav": "cases",
            "section": section, **extra}


@require_safe
@case_view(Permission.VIEW)
def incident_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The case's incidents, filtered by type, status, dates and place; sortable; paginated."""
    form, incidents = _filtered(request, access)
    incidents = incidents.prefetch_related(
        Prefetch("places", queryset=Place.objects.only("pk", "name", "contested_names")),
        Prefetch("counts", queryset=IncidentCount.objects.order_by("category")),
    )
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    # Claims are counted for the page's incidents only: an annotation would make the database
    # group every incident of the case before it could take one page.
    claim_counts = dict(
        Claim.incidents.through.objects.filter(incident_id__in=[i.pk for i in page])
        .values("incident_id").annotate(n=Count("claim_id")).values_list("incident_id", "n")
    )
    for incident in page:
        incident.claim_count = claim_counts.get(incident.pk, 0)  # type: ignore[attr-defined]
    context = _base_context(
        access, "incidents", form=form, page=page, sort=form.sort_key,
        total=Incident.objects.filter(case=access.case).count(),
    )
    return render(request, "vestige/graph/incident_list.html", context)


@require_safe
@case_view(Permission.VIEW)
def incident_map(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The incidents on a Leaflet map (served by the app); points show even without tiles."""
    form, incidents = _filtered(request, access)
    places = _map_places(access, incidents)
    located = (
        Incident.places.through.objects.filter(
            incident_id__in=incidents.values("pk"),
            place__latitude__isnull=False, place__longitude__isnull=False,
        ).values("incident_id").distinct().count()
    )
    tile_url = settings.MAP_TILE_URL
    query = request.GET.urlencode()
    data_url = reverse("incident-map-data", args=[access.case.slug])
    context = _base_context(
        access, "map", form=form, places=places[:MAP_PLACES_LISTED],
        place_count=len(places), located=located,
        unlocated=incidents.count() - located,
        data_url=f"{data_url}?{query}" if query else data_url,
        tile_url=tile_url,
        attribution=_attribution(tile_url),
    )
    response = render(request, "vestige/graph/incident_map.html", context)
    origin = tile_origin(tile_url)
    if origin:
        setattr(response, EXTRA_IMAGE_SOURCES, [origin])
    return response


def _attribution(tile_url: str) -> str:
    if "openstreetmap" in tile_url:
        return "© OpenStreetMap contributors"
    origin = tile_origin(tile_url)
    return f"Tiles: {origin.split('://', 1)[-1]}" if origin else ""


def _map_places(access: CaseAccess, incidents: QuerySet[Incident]) -> list[Place]:
    """Located places of the incidents, each with its number of incidents, busiest first.

    Counted on the link table alone, then the (few) places fetched: joining places to every
    incident of a large case first is what made the map slow.
    """
    counts = dict(
        Incident.places.through.objects.filter(incident_id__in=incidents.values("pk"))
        .values("place_id").annotate(n=Count("incident_id")).values_list("place_id", "n")
    )
    places = list(
        Place.objects.filter(pk__in=list(counts), latitude__isnull=False, longitude__isnull=False)
    )
    for place in places:
        place.incident_count = counts[place.pk]  # type: ignore[attr-defined]
    places.sort(key=lambda p: (-p.incident_count, p.name))  # type: ignore[attr-defined]
    return places


@require_safe
@case_view(Permission.VIEW)
def incident_map_data(request: HttpRequest, access: CaseAccess) -> JsonResponse:
    """The map's points as JSON: one per located place, with its number of incidents."""
    _, incidents = _filtered(request, access)
    slug = access.case.slug
    points = [
        {
            "lat": place.latitude,
            "lon": place.longitude,
            "name": place.display_name,
            "kind": place.get_kind_display(),
            "count": getattr(place, "incident_count", 0),
            "precision_m": place.precision_m,
            "url": reverse("place-detail", args=[slug, place.pk]),
        }
        for place in _map_places(access, incidents)
    ]
    return JsonResponse({"points": points})


@require_safe
@case_view(Permission.VIEW)
def incident_timeline(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The incidents as bars from their earliest to their latest possible day (SVG)."""
    form, incidents = _filtered(request, access)
    dated = incidents.filter(Q(date_lower__isnull=False) | Q(date_upper__isnull=False))
    total = dated.count()
    shown = list(dated.order_by("date_lower", "date_upper", "title", "pk")[:TIMELINE_LIMIT])
    timeline = build_timeline(shown, undated=incidents.count() - total)
    context = _base_context(access, "timeline", form=form, timeline=timeline, total=total,
                            limit=TIMELINE_LIMIT)
    return render(request, "vestige/graph/incident_timeline.html", context)


@require_safe
@case_view(Permission.VIEW)
def incident_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """One incident: dates, type, places, counts, actors, related incidents, claims, history."""
    incident = case_incident(access, pk)
    claims = (
        hide_claims_of_protected(
            Claim.objects.filter(incidents=incident), request.user, access.case
        ).select_related("item").prefetch_related("places", "actors").order_by("date_lower", "pk")
    )
    relations_out = IncidentRelation.objects.filter(source=incident).select_related("target")
    relations_in = IncidentRelation.objects.filter(target=incident).select_related("source")
    history = history_for(access.case.pk, "cases.Incident", incident.pk, INCIDENT_CHILDREN)
    relate_form = None
    if access.allows(Permission.EDIT):
        relate_form = IncidentRelationForm(
            incidents=Incident.objects.filter(case=access.case).exclude(pk=incident.pk)
            .only("pk", "title", "date")
        )
    context = _base_context(
        access, "incidents", incident=incident,
        places=list(incident.places.all().prefetch_related("names")),
        counts=incident.counts.order_by("category"),
        actor_links=IncidentActor.objects.filter(incident=incident).select_related("actor")
        .order_by("role", "actor__name"),
        relations_out=relations_out, relations_in=relations_in,
        claims=claims, history=[edit_view(e, access.case.slug) for e in history[:100]],
        history_count=history.count(), relate_form=relate_form,
        bounds=_bounds(incident),
    )
    return render(request, "vestige/graph/incident_detail.html", context)


def _bounds(incident: Incident) -> dict[str, Any]:
    text = incident.date or ""
    return {
        "approximate": "~" in text or "%" in text,
        "uncertain": "?" in text or "%" in text,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.EDIT)
def incident_create(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """A new incident, with its counts, actors and places."""
    return _incident_form(request, access, Incident(case=access.case))


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.EDIT)
def incident_edit(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Change an incident; the change is kept with its state before and after."""
    return _incident_form(request, access, case_incident(access, pk))


def _incident_form(request: HttpRequest, access: CaseAccess, incident: Incident) -> HttpResponse:
    actors = Actor.objects.filter(case=access.case).only("pk", "name", "kind")
    current_places = list(incident.places.all()) if incident.pk else []
    if request.method == "POST":
        form = IncidentForm(request.POST, instance=incident, event_types=_event_types(access))
        counts = CountFormSet(request.POST, prefix="counts")
        links = IncidentActorFormSet(request.POST, prefix="actors",
                                     form_kwargs={"actors": actors})
        kept = {int(v) for v in request.POST.getlist("keep_place") if v.isdigit()}
        places = [p for p in current_places if p.pk in kept]
        if form.is_valid():
            for text in (form.cleaned_data.get("add_places") or "").split(";"):
                if not text.strip():
                    continue
                try:
                    place = resolve_place(access.case, text)
                except UserError as exc:
                    form.add_error("add_places", str(exc))
                    continue
                if place not in places:
                    places.append(place)
        if form.is_valid() and counts.is_valid() and links.is_valid():
            try:
                with transaction.atomic():
                    saved: Incident = form.save(commit=False)
                    save_incident(saved, request.user, places=places)
                    set_counts(saved, request.user, _count_rows(counts))
                    set_incident_actors(saved, request.user, _actor_rows(links))
            except UserError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Saved “{saved.title}”. The change is kept in its "
                                          "history.")
                return redirect("incident-detail", slug=access.case.slug, pk=saved.pk)
        current_places = places
    else:
        form = IncidentForm(instance=incident, event_types=_event_types(access))
        counts = CountFormSet(prefix="counts", initial=[
            {"category": c.category, "low": c.low, "best": c.best, "high": c.high,
             "approximate": c.approximate}
            for c in (incident.counts.order_by("category") if incident.pk else [])
        ])
        links = IncidentActorFormSet(prefix="actors", form_kwargs={"actors": actors}, initial=[
            {"actor": link.actor_id, "role": link.role, "involvement": link.involvement}
            for link in (incident.actor_links.all() if incident.pk else [])
        ])
    context = _base_context(
        access, "incidents", form=form, counts=counts, links=links, incident=incident,
        current_places=current_places, count_categories=vocabularies.choices("count_categories"),
    )
    return render(request, "vestige/graph/incident_form.html", context)


def _count_rows(counts: Any) -> list[CountRow]:
    rows = []
    for data in counts.cleaned_data:
        if not data or not (data.get("category") or "").strip() or data.get("DELETE"):
            continue
        rows.append(CountRow(data["category"].strip(), data.get("low"), data.get("best"),
                             data.get("high"), bool(data.get("approximate"))))
    return rows


def _actor_rows(links: Any) -> list[tuple[Actor, str, str]]:
    return [(d["actor"], d["role"], d.get("involvement") or "")
            for d in links.cleaned_data if d and d.get("actor")]


@require_POST
@case_view(Permission.EDIT)
def incident_relate(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Link an incident to another of the case (part of, follows, causes, …)."""
    incident = case_incident(access, pk)
    form = IncidentRelationForm(request.POST, incidents=Incident.objects.filter(case=access.case))
    if form.is_valid():
        try:
            relate_incidents(incident, form.cleaned_data["relation"],
                             form.cleaned_data["target"], request.user)
        except UserError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Linked.")
    else:
        messages.error(request, "Choose a relation and an incident of this case.")
    return redirect("incident-detail", slug=access.case.slug, pk=incident.pk)
