"""Actors and places of a case: every name in every script, what they did or what happened there.

A shared gazetteer place is visible from every case, but its page shows only what the viewer's
case says about it; a case's own places are visible to its members only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ...cases.graph import (
    Actor,
    ActorKind,
    ActorRelation,
    Claim,
    Incident,
    IncidentActor,
    Place,
    Position,
)
from ...cases.roles import Permission
from ...cases.services_graph import (
    add_actor_name,
    add_position,
    create_case_place,
    places_for,
    save_actor,
    search_places,
)
from ...core.errors import UserError
from ...core.names import name_keys
from ...protection.access import hide_claims_of_protected
from ..access import CaseAccess, case_view
from .graph_forms import ActorForm, ActorNameForm, PlaceForm, PositionForm
from .graph_support import edit_view, history_for

PER_PAGE = 50
ACTOR_CHILDREN = {
    "cases.ActorName": "actor",
    "cases.Position": "actor",
    "cases.ActorRelation": "subject",
    "cases.IncidentActor": "actor",
    "law.LiabilityLink": "actor",
}
PLACE_CHILDREN = {"cases.PlaceName": "place"}

SCRIPT_ORDER = ["Latin", "Armenian", "Cyrillic", "Arabic", "Georgian", "Greek", "Hebrew", "Cjk"]


def _context(access: CaseAccess, section: str, **extra: Any) -> dict[str, Any]:
    return {"access": access, "case": access.case, "can": access.can, "nav": "cases",
            "section": section, **extra}


def case_actor(access: CaseAccess, pk: int) -> Actor:
    """The actor ``pk`` of this case; 404 for any other case's."""
    return get_object_or_404(Actor, case=access.case, pk=pk)


def _group_names(names: list[Any]) -> list[tuple[str, list[Any]]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for name in names:
        groups[name.script or "Other"].append(name)
    order = {s: i for i, s in enumerate(SCRIPT_ORDER)}
    return sorted(groups.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))


# ---------------------------------------------------------------- actors


def search_actors(actors: QuerySet[Actor], query: str) -> QuerySet[Actor]:
    """Actors known by a name matching ``query`` in any script ("Aliyev" finds "Əliyev")."""
    condition = Q(name__icontains=query.strip())
    for key in name_keys(query):
        condition |= Q(names__folded__contains=key)
    return actors.filter(pk__in=actors.filter(condition).values("pk"))


@require_safe
@case_view(Permission.VIEW)
def actor_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The case's actors, searchable by any of their names, in any script."""
    actors = Actor.objects.filter(case=access.case)
    query = str(request.GET.get("q", ""))[:200].strip()
    kind = str(request.GET.get("kind", ""))
    if query:
        actors = search_actors(actors, query)
    if kind in ActorKind.values:
        actors = actors.filter(kind=kind)
    actors = actors.annotate(
        incident_count=Count("incident_links__incident", distinct=True)
    ).prefetch_related("names").order_by("name", "pk")
    page = Paginator(actors, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "vestige/graph/actor_list.html", _context(
        access, "actors", page=page, query=query, kind=kind, kinds=ActorKind.choices,
    ))


@require_safe
@case_view(Permission.VIEW)
def actor_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """An actor: names in all scripts, identifiers, positions, relations, incidents, claims."""
    actor = case_actor(access, pk)
    names = list(actor.names.all())
    history = history_for(access.case.pk, "cases.Actor", actor.pk, ACTOR_CHILDREN)
    others = Actor.objects.filter(case=access.case).exclude(pk=actor.pk).only("pk", "name")
    context = _context(
        access, "actors", actor=actor, name_groups=_group_names(names),
        positions=Position.objects.filter(actor=actor).select_related("organisation")
        .order_by("date_lower", "pk"),
        relations_out=ActorRelation.objects.filter(subject=actor).select_related("object"),
        relations_in=ActorRelation.objects.filter(object=actor).select_related("subject"),
        incident_links=IncidentActor.objects.filter(actor=actor, incident__case=access.case)
        .select_related("incident").order_by("incident__date_lower", "incident__title"),
        claims=hide_claims_of_protected(
            Claim.objects.filter(case=access.case, actors=actor), request.user, access.case
        ).select_related("item").order_by("date_lower", "pk")[:100],
        history=[edit_view(e, access.case.slug) for e in history[:100]],
        history_count=history.count(),
        name_form=ActorNameForm() if access.allows(Permission.EDIT) else None,
        position_form=PositionForm(actors=others) if access.allows(Permission.EDIT) else None,
    )
    return render(request, "vestige/graph/actor_detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.EDIT)
def actor_create(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """A new actor, with names in any script."""
    return _actor_form(request, access, Actor(case=access.case))


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.EDIT)
def actor_edit(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Change an actor; the change is kept with its state before and after."""
    return _actor_form(request, access, case_actor(access, pk))


def _actor_form(request: HttpRequest, access: CaseAccess, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        form = ActorForm(request.POST, instance=actor)
        if form.is_valid():
            with transaction.atomic():
                saved = form.save(commit=False)
                save_actor(saved, request.user)
                for name, language in form.cleaned_data["other_names"]:
                    add_actor_name(saved, name, request.user, language=language)
            messages.success(request, f"Saved {saved.name}. The change is kept in its history.")
            return redirect("actor-detail", slug=access.case.slug, pk=saved.pk)
    else:
        form = ActorForm(instance=actor)
    return render(request, "vestige/graph/actor_form.html",
                  _context(access, "actors", form=form, actor=actor))


@require_POST
@case_view(Permission.EDIT)
def actor_add_name(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Add a name (any script, any language) to an actor."""
    actor = case_actor(access, pk)
    form = ActorNameForm(request.POST)
    if form.is_valid():
        added = add_actor_name(actor, form.cleaned_data["name"], request.user,
                               language=form.cleaned_data["language"],
                               kind=form.cleaned_data["kind"])
        if added is None:
            messages.info(request, "The actor already has that name.")
        else:
            messages.success(request, f"Added the name {added.name}.")
    else:
        messages.error(request, "Enter a name.")
    return redirect("actor-detail", slug=access.case.slug, pk=actor.pk)


@require_POST
@case_view(Permission.EDIT)
def actor_add_position(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Record a position the actor held, with its dates."""
    actor = case_actor(access, pk)
    form = PositionForm(request.POST, actors=Actor.objects.filter(case=access.case))
    if form.is_valid():
        add_position(actor, form.cleaned_data["title"], request.user,
                     date=form.cleaned_data["date"],
                     organisation=form.cleaned_data["organisation"])
        messages.success(request, "Position added.")
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{field}: {error}" if field != "__all__" else str(error))
    return redirect("actor-detail", slug=access.case.slug, pk=actor.pk)


# ---------------------------------------------------------------- places


def case_place(access: CaseAccess, pk: int) -> Place:
    """A shared gazetteer place or one of this case's own; 404 for another case's."""
    return get_object_or_404(places_for(access.case), pk=pk)


@require_safe
@case_view(Permission.VIEW)
def place_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Search places by any name in any script; without a query, the places the case uses."""
    query = str(request.GET.get("q", ""))[:200].strip()
    if query:
        found: list[Place] | QuerySet[Place] = search_places(access.case, query, limit=100)
    else:
        used = Incident.objects.filter(case=access.case).values("places")
        found = (
            places_for(access.case).filter(Q(case=access.case) | Q(pk__in=used))
            .prefetch_related("names").order_by("name", "pk")
        )
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    links = Incident.places.through.objects.filter(
        place_id__in=[p.pk for p in page.object_list], incident__case=access.case
    )
    counts = {
        row["place_id"]: row["n"]
        for row in links.values("place_id").annotate(n=Count("incident_id")).order_by()
    }
    rows = [(place, counts.get(place.pk, 0)) for place in page.object_list]
    return render(request, "vestige/graph/place_list.html", _context(
        access, "places", page=page, rows=rows, query=query,
    ))


@require_safe
@case_view(Permission.VIEW)
def place_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """A place: every name by script and language, contested names side by side, coordinates
    and precision, and what this case says happened there."""
    place = case_place(access, pk)
    names = list(place.names.all())
    history = (
        history_for(access.case.pk, "cases.Place", place.pk, PLACE_CHILDREN)
        if place.case_id == access.case.pk else None
    )
    context = _context(
        access, "places", place=place, name_groups=_group_names(names), name_count=len(names),
        languages=sorted({n.language for n in names if n.language}),
        contested=[e for e in place.contested_names if isinstance(e, dict) and e.get("name")],
        incidents=Incident.objects.filter(case=access.case, places=place)
        .order_by("date_lower", "title"),
        claims=hide_claims_of_protected(
            Claim.objects.filter(case=access.case, places=place), request.user, access.case
        ).select_related("item").order_by("date_lower", "pk")[:100],
        children=places_for(access.case).filter(parent=place).order_by("name")[:100],
        history=[edit_view(e, access.case.slug) for e in history[:100]] if history else [],
        history_count=history.count() if history is not None else 0,
    )
    return render(request, "vestige/graph/place_detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.EDIT)
def place_create(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Add a place of this case (heritage site, checkpoint, road) with coordinates."""
    if request.method == "POST":
        form = PlaceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                place = create_case_place(
                    access.case, request.user, name=data["name"], kind=data["kind"],
                    latitude=data["latitude"], longitude=data["longitude"],
                    precision_m=data["precision_m"], description=data["description"],
                    other_names=data["other_names"], contested_names=data["contested"],
                )
            except UserError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Added {place.display_name}.")
                return redirect("place-detail", slug=access.case.slug, pk=place.pk)
    else:
        form = PlaceForm()
    return render(request, "vestige/graph/place_form.html", _context(access, "places", form=form))
