"""``vestige search``: one search over items' text, claims, incidents, actors and places."""

from __future__ import annotations

import re
from datetime import date

import click

from ..core.errors import UserError
from .base import emit_json, setup_django

TYPES = ("item", "claim", "incident", "actor", "place")


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"{name} must be a date like 2023-09-19, not {value!r}") from exc


@click.command("search")
@click.argument("query", required=False, default="")
@click.option("--case", "slugs", multiple=True, help="Only this case (repeatable; slug).")
@click.option("--type", "types", multiple=True, type=click.Choice(TYPES),
              help="Only this kind of record (repeatable).")
@click.option("--item-kind", "item_kinds", multiple=True, help="Only items of this kind.")
@click.option("--incident-type", "incident_types", multiple=True,
              help="Only incidents of this (ACLED) event type.")
@click.option("--from", "date_from", default=None, help="Dated no earlier than (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Dated no later than (YYYY-MM-DD).")
@click.option("--place", type=int, default=None, help="Only records about this place (id).")
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True,
              help="How many results.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many results.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--reindex", is_flag=True,
              help="Rebuild the search index from the records first (all cases, or --case).")
def search_command(
    query: str,
    slugs: tuple[str, ...],
    types: tuple[str, ...],
    item_kinds: tuple[str, ...],
    incident_types: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    place: int | None,
    limit: int,
    offset: int,
    as_json: bool,
    reindex: bool,
) -> None:
    """Search items' text, claims, incidents, actors and places, in any script.

    Diacritics and scripts do not matter: "Aliyev" finds "Əliyev" and "Алиев", "Stepanakert"
    finds "Ստեփանակերտ". Every word must match. The command acts as the operator: it searches
    every case unless --case is given. Matched words are shown in [brackets].

    Example:

    \b
        vestige search "Aliyev Stepanakert"
        vestige search blockade --case nk-2023 --type claim --json
        vestige search --reindex
    """
    setup_django()
    from ..cases.models import Case
    from ..core.errors import NotFound
    from ..search.index import reindex as rebuild
    from ..search.service import SearchFilters, search

    if reindex:
        cases = list(Case.objects.filter(slug__in=slugs)) if slugs else [None]
        if slugs and len(cases) < len(set(slugs)):
            raise NotFound(f"no case among {', '.join(slugs)!s}")
        totals: dict[str, int] = {}
        for case in cases:
            for kind, count in rebuild(case).items():
                totals[kind] = totals.get(kind, 0) + count
        if not as_json:
            summary = ", ".join(f"{n} {kind}s" for kind, n in totals.items())
            click.echo(f"reindexed {summary}", err=bool(query))
        elif not query:
            emit_json({"reindexed": totals})
            return
    if not query.strip():
        if reindex:
            return
        raise UserError("give words to search for, e.g. vestige search Stepanakert")
    filters = SearchFilters(
        cases=list(slugs), types=list(types), item_kinds=list(item_kinds),
        incident_types=list(incident_types), date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"), place=place,
    )
    results = search(query, operator=True, filters=filters, limit=limit, offset=offset)
    if as_json:
        emit_json(results.as_dict())
        return
    if not results.hits:
        click.echo(f"no results for {query!r}")
        return
    note = " (no exact match; close matches)" if results.fuzzy else ""
    if results.approximate:
        click.echo(f"at least {results.total} results{note}; ranking and counts cover the "
                   "most recent matches")
    else:
        click.echo(f"{results.total} result{'s' if results.total != 1 else ''}{note}")
    for hit in results.hits:
        where = hit.case_slug or "gazetteer"
        when = ""
        if hit.date_lower:
            when = f"  {hit.date_lower}" + (
                f"/{hit.date_upper}" if hit.date_upper and hit.date_upper != hit.date_lower
                else ""
            )
        click.echo("")
        click.echo(click.style(f"{hit.record_type} {hit.record_id}", bold=True)
                   + f"  [{where}]{when}")
        click.echo(f"  {hit.title}")
        if hit.snippet:
            click.echo(f"  {_bracket(hit.snippet_html)}")
    for name, values in results.facets.items():
        if values:
            shown = ", ".join(f"{v.label} {v.count}" for v in values[:8])
            click.echo(f"\n{name}: {shown}", nl=False)
    click.echo("")


def _bracket(snippet_html: str) -> str:
    """The snippet as plain text with matched words in [brackets]."""
    import html

    marked = re.sub(r"<mark>(.*?)</mark>", r"[\1]", snippet_html)
    return html.unescape(marked)


def register(group: click.Group) -> None:
    """Add the ``search`` command to the ``vestige`` group."""
    group.add_command(search_command)
