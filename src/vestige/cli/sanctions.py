"""``vestige lists``: import sanctions lists as dated versions, and show what is stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core.errors import UserError
from .base import cli_actor, emit_json, setup_django

if TYPE_CHECKING:
    from ..sanctions.importers.common import ListReader

FORMATS = ("ofac-csv", "ofac-xml", "ftm", "un-xml", "eu-xml")


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UserError(f"--as-of must be a date like 2019-01-15, not {value!r}") from exc


@click.group("lists")
def lists_group() -> None:
    """Sanctions lists: import OFAC, UN, EU and OpenSanctions lists, one version per date.

    Screening (`vestige screen`) runs "as of" a date and uses, for each source, the newest
    version published on or before that date.

    Example:

    \b
        vestige lists import ofac-csv sdn.csv --as-of 2019-01-15
        vestige lists show
    """


@lists_group.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Publication date YYYY-MM-DD (required for ofac-csv; overrides the file's).",
)
@click.option(
    "--alt",
    "alt_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="ofac-csv only: the aliases file (default: the alt.csv beside FILE).",
)
@click.option(
    "--source",
    default=None,
    help="Store under this source name instead of the format's (ofac, un, eu, "
    "opensanctions), e.g. to keep two OpenSanctions datasets apart.",
)
@click.option("--user", default=None, help="Record this name as the importer.")
def import_command(
    fmt: str,
    file: Path,
    as_of: str | None,
    alt_path: Path | None,
    source: str | None,
    user: str | None,
) -> None:
    """Import one list file as a new version of its source.

    FORMAT is ofac-csv (the legacy SDN CSV with its alt.csv), ofac-xml (sdn.xml),
    ftm (FollowTheMoney JSON lines, as OpenSanctions publishes them), un-xml (the UN
    Security Council consolidated list) or eu-xml (the EU consolidated financial
    sanctions list). The publication date is read from the file; the legacy CSV has
    none, so give it with --as-of. Importing the same file again changes nothing.

    Example:

    \b
        vestige lists import ofac-csv sdn.csv --as-of 2019-01-15
        vestige lists import un-xml consolidated.xml
    """
    setup_django()
    from ..sanctions.importing import import_file

    console = Console(stderr=True)
    size = file.stat().st_size if file.is_file() else 0
    progress = Progress(
        TextColumn("[bold]importing {task.fields[entities]} entities"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    task_id = progress.add_task("import", total=size, entities=0)

    def on_progress(reader: ListReader, entities: int, _names: int) -> None:
        progress.update(task_id, completed=reader.bytes_read, entities=entities)

    with progress:
        result = import_file(
            fmt,
            file,
            as_of=_date(as_of),
            alt_path=alt_path,
            source=source,
            imported_by_label=cli_actor(user),
            on_progress=on_progress,
        )
    click.echo(result.message)


@lists_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of versions.")
def show_command(as_json: bool) -> None:
    """List every imported version: source, publication date, entities, names, import time.

    Example:

    \b
        vestige lists show
        vestige lists show --json
    """
    setup_django()
    from ..sanctions.models import SanctionsList
    from ..sanctions.store import lists_as_of

    versions = list(SanctionsList.objects.order_by("source", "-published"))
    current = {lst.pk for lst in lists_as_of()}
    rows = [
        {
            "id": lst.pk,
            "source": lst.source,
            "format": lst.format,
            "name": lst.name,
            "published": lst.published.isoformat(),
            "entities": lst.entity_count,
            "names": lst.name_count,
            "imported_at": lst.imported_at.isoformat(),
            "imported_by": lst.imported_by_label,
            "sha256": lst.file_sha256,
            "current": lst.pk in current,
        }
        for lst in versions
    ]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no lists imported yet; see `vestige lists import --help`")
        return
    table = Table(show_header=True)
    for column in ("source", "published", "entities", "names", "imported at", "format", "current"):
        table.add_column(column, justify="right" if column in ("entities", "names") else "left")
    for row in rows:
        table.add_row(
            str(row["source"]),
            str(row["published"]),
            str(row["entities"]),
            str(row["names"]),
            str(row["imported_at"])[:19].replace("T", " "),
            str(row["format"]),
            "yes" if row["current"] else "",
        )
    Console().print(table)


def register(group: click.Group) -> None:
    group.add_command(lists_group)
