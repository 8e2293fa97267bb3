"""Commands for the protection registry's data: bulk import, the import template, statistics.

Registry commands act as a named account (``--as``), whose role in the case is checked exactly
as on the web: importing needs a protection officer (PROTECT_EDIT), statistics the REGISTRY
permission. Nothing they print contains an identity: problems are named by row and column.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..core.errors import NotFound, UserError
from ..protection.columns import columns_help, template_header
from .base import emit_json, setup_django


def _acting(username: str, slug: str, permission: str) -> tuple[Any, Any]:
    """The account named by --as and the case, if that account may ``permission`` in it."""
    from django.contrib.auth import get_user_model

    from ..cases.access import case_for
    from ..cases.roles import Permission

    account = get_user_model().objects.filter(username=username, is_active=True).first()
    if account is None:
        raise NotFound(f"no active user {username!r} (see `vestige user create`)")
    return account, case_for(account, slug, Permission(permission))


@click.group("registry")
def registry_group() -> None:
    """The protection registry: bulk import, the import template, statistics."""


@registry_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--case", "slug", required=True, help="Slug of the case to import into.")
@click.option("--as", "username", required=True,
              help="The account doing the import: a protection officer of the case.")
@click.option("--skip-bad-rows", is_flag=True,
              help="Import the good rows and list the bad ones (default: a file with any "
                   "problem imports nothing).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def registry_import(file: Path, slug: str, username: str, skip_bad_rows: bool,
                    as_json: bool) -> None:
    """Import protected people, their claims and consents from a CSV or XLSX file.

    The file is checked whole first; every bad row is named with its column and what is wrong
    (never the value). A file with any problem imports nothing unless --skip-bad-rows is given;
    the import itself is one transaction. Identities are sealed as they are stored. KoboToolbox
    exports (CSV with ';' or XLSX, group paths such as group_identity/given_name) are read as
    they are. See `vestige registry template --help` for the columns.

    Exit status: 0 when everything was imported, 1 when rows were skipped or nothing was
    imported because of problems.

    Example:

        vestige registry import kobo-export.xlsx --case nk-2023 --as officer
    """
    setup_django()
    from ..cases.roles import Permission
    from ..protection.importing import import_registry

    account, case = _acting(username, slug, Permission.PROTECT_EDIT.value)
    report = import_registry(file, case, user=account, skip_bad_rows=skip_bad_rows)
    if as_json:
        emit_json(report.as_dict())
    else:
        for line in report.lines():
            click.echo(line)
        if report.unknown_columns:
            click.echo(f"columns not used: {', '.join(report.unknown_columns)}")
        if report.ignored_columns:
            click.echo(f"KoboToolbox bookkeeping columns ignored: {len(report.ignored_columns)}")
        if report.committed:
            click.echo(
                f"imported {report.people} people, {report.claims} claims and "
                f"{report.consents} consents into {case.slug}"
                + (f"; skipped {report.skipped} bad rows" if report.skipped else "")
            )
        else:
            click.echo(
                f"nothing imported: {len(report.bad_rows)} of {report.rows} rows have problems"
                if not report.file_problems else "nothing imported",
                err=True,
            )
            if report.problems and not skip_bad_rows:
                click.echo("fix them, or give --skip-bad-rows to import the others", err=True)
    sys.exit(0 if report.committed and report.ok else 1)


TEMPLATE_HELP = (
    "Print the header row a registry import accepts (CSV), or write it as an XLSX workbook.\n\n"
    "Columns are matched leniently: case, spaces and hyphens do not matter, the aliases below "
    "are accepted, KoboToolbox group paths (group_identity/given_name) are reduced to their last "
    "parts, and Kobo's one-column-per-option multiple choices (role/witness holding 1 or 0) are "
    "folded back. Columns starting with '_' and Kobo's start/end/meta columns are ignored. Rows "
    "are numbered as a spreadsheet shows them (the header is row 1). Sealed columns are "
    "encrypted before they are stored.\n\n"
    "Example:\n\n"
    "    vestige registry template --xlsx registry-template.xlsx\n\n"
    "Columns:\n\n\b\n" + columns_help()
)


@registry_group.command("template", help=TEMPLATE_HELP)
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write an XLSX workbook with the header row instead of printing it.")
def registry_template(xlsx: Path | None) -> None:
    import csv
    import io

    header = template_header()
    if xlsx is not None:
        from ..protection.tabular import write_xlsx_row

        if not xlsx.parent.exists():
            raise UserError(f"folder {xlsx.parent} does not exist")
        write_xlsx_row(xlsx, header)
        click.echo(f"wrote {xlsx}: {len(header)} columns")
        return
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(header)
    click.echo(buffer.getvalue(), nl=False)


@registry_group.command("stats")
@click.option("--case", "slug", required=True, help="Slug of the case.")
@click.option("--as", "username", required=True,
              help="The account asking: a member of the case who may see the registry.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write both tables to this CSV file (same suppression).")
@click.option("--min-cell", type=int, default=None,
              help="Smallest count to publish; may raise VESTIGE_STATS_MIN_CELL, never lower it.")
@click.option("--json", "as_json", is_flag=True, help="Print the tables as JSON.")
def registry_stats(slug: str, username: str, csv_file: Path | None, min_cell: int | None,
                   as_json: bool) -> None:
    """Displaced people by place of origin and month, and people claiming by category and
    place, with every small count suppressed.

    Counts from 1 to one below the threshold (VESTIGE_STATS_MIN_CELL, default 5) are shown as
    "suppressed", and so are the counts and totals that would give them back. The CSV export
    obeys the same rule.

    Example:

        vestige registry stats --case nk-2023 --as analyst --csv nk-2023-stats.csv
    """
    setup_django()
    from ..cases.roles import Permission
    from ..protection.statistics import registry_statistics, write_statistics_csv

    account, case = _acting(username, slug, Permission.REGISTRY.value)
    statistics = registry_statistics(
        case, account, threshold=min_cell, purpose="csv" if csv_file else "cli"
    )
    if csv_file is not None:
        write_statistics_csv(statistics, csv_file)
    if as_json:
        emit_json(statistics.as_dict())
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for table in statistics.tables():
        shown = Table(title=table.title, show_header=True)
        rows = list(table.csv_rows())
        for name in rows[0]:
            shown.add_column(name or "", justify="left" if not shown.columns else "right")
        for row in rows[1:]:
            shown.add_row(*row)
        console.print(shown)
    console.print(
        f"counts under {statistics.threshold}, and those that would reveal them, are suppressed"
    )
    if csv_file is not None:
        console.print(f"wrote {csv_file}")


def register(group: click.Group) -> None:
    group.add_command(registry_group)
