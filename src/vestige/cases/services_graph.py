"""Creating and changing the case graph, each change kept as an Edit (who, when, before, after).

Everything here goes through :mod:`vestige.cases.history`: a record's own fields and its
many-to-many links are kept in one Edit; its children (counts, actor links, names, positions)
each get Edits of their own. Callers check permissions first (the web views do, through
``case_view``); these functions only check that what they link belongs to the same case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet

from ..core.errors import UserError
from ..core.names import name_keys
from .graph import (
    Actor,
    ActorName,
    ActorRelation,
    Claim,
    Incident,
    IncidentActor,
    IncidentCount,
    IncidentRelation,
    Place,
    PlaceName,
    Position,
)
from .history import delete_with_history, record_change, save_with_history, snapshot
from .models import Case


def _stored_snapshot(instance: models.Model) -> dict[str, Any] | None:
    if instance.pk is None:
        return None
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    return snapshot(stored) if stored is not None else None


def _same_case(case_id: int, things: Iterable[Any], what: str) -> None:
    for thing in things:
        owner = getattr(thing, "case_id", None)
        if owner is not None and owner != case_id:
            raise UserError(f"{what} {thing.pk} belongs to another case")


# ---------------------------------------------------------------- incidents


def save_incident(
    incident: Incident, user: Any, *, places: Sequence[Place] | None = None
) -> Incident:
    """Create or update ``incident`` (and set its places when given), keeping one Edit."""
    if places is not None:
        _same_case(incident.case_id, places, "place")
    with transaction.atomic():
        before = _stored_snapshot(incident)
        incident.save()
        if places is not None:
            incident.places.set(places)
        record_change(incident, user, before)
    return incident


@dataclass(frozen=True)
class CountRow:
    """One low/best/high count of an incident, as a form gives it."""

    category: str
    low: int | None = None
    best: int | None = None
    high: int | None = None
    approximate: bool = False


def set_counts(incident: Incident, user: Any, rows: Iterable[CountRow]) -> None:
    """Make the incident's counts exactly ``rows`` (one per category), each change kept."""
    wanted = {row.category.strip(): row for row in rows if row.category.strip()}
    with transaction.atomic():
        for count in list(incident.counts.all()):
            row = wanted.pop(count.category, None)
            if row is None:
                delete_with_history(count, user)
                continue
            values = (row.low, row.best, row.high, row.approximate)
            if values != (count.low, count.best, count.high, count.approximate):
                count.low, count.best, count.high, count.approximate = values
                save_with_history(count, user)
        for category, row in wanted.items():
            save_with_history(
                IncidentCount(
                    incident=incident, category=category, low=row.low, best=row.best,
                    high=row.high, approximate=row.approximate,
                ),
                user,
            )


def set_incident_actors(
    incident: Incident, user: Any, links: Iterable[tuple[Actor, str, str]]
) -> None:
    """Make the incident's actors exactly ``links`` of (actor, role, involvement)."""
    wanted: dict[tuple[int, str], tuple[Actor, str, str]] = {}
    for actor, role, involvement in links:
        _same_case(incident.case_id, [actor], "actor")
        wanted[(actor.pk, role)] = (actor, role, involvement)
    with transaction.atomic():
        for link in list(incident.actor_links.all()):
            entry = wanted.pop((link.actor_id, link.role), None)
            if entry is None:
                delete_with_history(link, user)
            elif entry[2] != link.involvement:
                link.involvement = entry[2]
                save_with_history(link, user)
        for actor, role, involvement in wanted.values():
            save_with_history(
                IncidentActor(incident=incident, actor=actor, role=role, involvement=involvement),
                user,
            )


def relate_incidents(source: Incident, relation: str, target: Incident, user: Any) -> None:
    """Link two incidents of one case (part of, follows, causes, …)."""
    if source.case_id != target.case_id:
        raise UserError("incidents of different cases cannot be linked")
    if source.pk == target.pk:
        raise UserError("an incident cannot be linked to itself")
    if IncidentRelation.objects.filter(source=source, relation=relation, target=target).exists():
        return
    save_with_history(IncidentRelation(source=source, relation=relation, target=target), user)


def attach_claim(claim: Claim, incident: Incident, user: Any) -> None:
    """Attach a claim to an incident of the same case."""
    if claim.case_id != incident.case_id:
        raise UserError("the claim and the incident belong to different cases")
    with transaction.atomic():
        before = snapshot(claim)
        claim.incidents.add(incident)
        record_change(claim, user, before)


# ---------------------------------------------------------------- actors


def save_actor(actor: Actor, user: Any) -> Actor:
    """Create or update an actor, keeping an Edit; a new actor gets its name as primary."""
    with transaction.atomic():
        created = actor.pk is None
        save_with_history(actor, user)
        if created and actor.name.strip():
            add_actor_name(actor, actor.name, user, kind="primary")
    return actor


def add_actor_name(
    actor: Actor, name: str, user: Any, *, language: str = "", kind: str = "alias"
) -> ActorName | None:
    """Add one name (any script) to an actor; None when it already has exactly that name."""
    name = name.strip()
    if not name:
        raise UserError("a name cannot be empty")
    if actor.names.filter(name=name).exists():
        return None
    entry = ActorName(actor=actor, name=name, language=language.strip(), kind=kind or "alias")
    save_with_history(entry, user)
    return entry


def add_position(
    actor: Actor, title: str, user: Any, *, date: str = "", organisation: Actor | None = None
) -> Position:
    """Record a position the actor held (``date`` is EDTF, e.g. ``2019/2023``)."""
    if organisation is not None:
        _same_case(actor.case_id, [organisation], "organisation")
    position = Position(actor=actor, title=title.strip(), date=date.strip(),
                        organisation=organisation)
    save_with_history(position, user)
    return position


def relate_actors(
    subject: Actor, relation: str, obj: Actor, user: Any, *, date: str = ""
) -> ActorRelation:
    """Link two actors of one case (member of, commands, subordinate to, …)."""
    if subject.case_id != obj.case_id:
        raise UserError("actors of different cases cannot be linked")
    link = ActorRelation(subject=subject, relation=relation.strip(), object=obj,
                         date=date.strip())
    save_with_history(link, user)
    return link


# ---------------------------------------------------------------- places


def create_case_place(
    case: Case,
    user: Any,
    *,
    name: str,
    kind: str,
    latitude: float | None,
    longitude: float | None,
    precision_m: int | None,
    description: str = "",
    other_names: Iterable[tuple[str, str]] = (),
    contested_names: Sequence[dict[str, str]] = (),
    parent: Place | None = None,
) -> Place:
    """Add a place of this case (a checkpoint, a heritage site, a road), with all its names."""
    if (latitude is None) != (longitude is None):
        raise UserError("give both latitude and longitude, or neither")
    if latitude is not None and not -90 <= latitude <= 90:
        raise UserError("latitude must be between -90 and 90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise UserError("longitude must be between -180 and 180")
    place = Place(
        case=case, name=name.strip(), kind=kind, latitude=latitude, longitude=longitude,
        precision_m=precision_m, description=description, parent=parent,
        contested_names=[dict(entry) for entry in contested_names],
        country_code=parent.country_code if parent is not None else "",
    )
    with transaction.atomic():
        save_with_history(place, user)
        names = [(place.name, ""), *other_names]
        names += [(entry.get("name", ""), "") for entry in contested_names]
        for value, language in names:
            add_place_name(place, value, user, language=language)
    return place


def add_place_name(
    place: Place, name: str, user: Any, *, language: str = ""
) -> PlaceName | None:
    """Add a name to a case's own place; None when the place already has that name."""
    name = name.strip()
    if not name:
        return None
    if place.case_id is None:
        raise UserError("names of shared gazetteer places are changed by seeding, not here")
    if place.names.filter(name=name).exists():
        return None
    entry = PlaceName(place=place, name=name, language=language.strip(), source="user")
    save_with_history(entry, user)
    return entry


def places_for(case: Case) -> QuerySet[Place]:
    """The places a case can use: the shared gazetteer and its own."""
    return Place.objects.filter(Q(case__isnull=True) | Q(case=case))


def search_places(case: Case, query: str, limit: int = 50) -> list[Place]:
    """Places known by a name matching ``query`` in any script (Степанакерт finds Stepanakert).

    The query's folded keys are looked for in every name's folded form; a name that starts with
    the key ranks first, then places with more people.
    """
    keys = sorted(name_keys(query))
    if not keys:
        return []
    condition = Q()
    for key in keys:
        condition |= Q(folded__contains=key)
    place_ids = (
        PlaceName.objects.filter(condition).filter(
            Q(place__case__isnull=True) | Q(place__case=case)
        ).values_list("place_id", flat=True).distinct()[: limit * 10]
    )
    direct = places_for(case).filter(name__icontains=query.strip())
    candidates = list(
        places_for(case).filter(Q(pk__in=list(place_ids)) | Q(pk__in=direct.values("pk")))
        .prefetch_related("names")[: limit * 10]
    )

    def rank(place: Place) -> tuple[int, int, str]:
        exact = any(
            key == word
            for name in place.names.all()
            for key in keys
            for word in (name.folded or "").split()
        ) or bool(name_keys(place.name) & set(keys))
        return (0 if exact else 1, -(place.population or 0), place.name)

    candidates.sort(key=rank)
    return candidates[:limit]


def resolve_place(case: Case, text: str) -> Place:
    """One place from what a user typed: ``#12`` (an id) or a name that matches one place only.

    Raises UserError naming the candidates when the name is ambiguous or unknown.
    """
    text = text.strip()
    if text.startswith("#") and text[1:].isdigit():
        place = places_for(case).filter(pk=int(text[1:])).first()
        if place is None:
            raise UserError(f"no place {text}")
        return place
    matches = search_places(case, text, limit=8)
    exact = [p for p in matches if name_keys(text) & _all_keys(p)]
    if len(exact) == 1 or (len(matches) == 1 and not exact):
        return (exact or matches)[0]
    if not matches:
        raise UserError(f"no place is known as {text!r}; add it on the Places page first")
    listed = ", ".join(
        f"#{p.pk} {p.display_name}{f' ({p.country_code})' if p.country_code else ''}"
        for p in (exact or matches)[:6]
    )
    raise UserError(f"{text!r} matches several places: {listed}. Enter one as #id.")


def _all_keys(place: Place) -> set[str]:
    keys = set(name_keys(place.name))
    for name in place.names.all():
        keys |= name_keys(name.name)
    return keys
