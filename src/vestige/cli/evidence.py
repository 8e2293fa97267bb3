"""Commands for evidence: import, verify, export, verify-bundle."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ..core.errors import UserError
from ..protection.columns import RECIPIENTS
from .base import cli_actor, emit_json, setup_django


class RateColumn(ProgressColumn):
    """Files per second and megabytes per second since the start."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("– files/s  – MB/s", style="progress.data.speed")
        files = task.completed / elapsed
        megabytes = task.fields.get("bytes", 0) / elapsed / 1e6
        return Text(f"{files:,.1f} files/s  {megabytes:,.1f} MB/s", style="progress.data.speed")


def _case(slug: str):  # type: ignore[no-untyped-def]
    from ..cases.models import Case
    from ..core.errors import NotFound

    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    return case


STATUS_STYLE = {
    "imported": "green",
    "duplicate": "cyan",
    "skipped": "dim",
    "refused": "yellow",
    "failed": "red",
}


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", "slug", required=True, help="Slug of the case to import into.")
@click.option("--note", default="", help="A note recorded on every item and custody event.")
@click.option("--user", default=None, help="Record this account name as the collector.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: cores).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of per-file outcomes.")
@click.option("-v", "--verbose", is_flag=True, help="List every file, not only the notable ones.")
def import_command(
    paths: tuple[Path, ...],
    slug: str,
    note: str,
    user: str | None,
    workers: int | None,
    as_json: bool,
    verbose: bool,
) -> None:
    """Import files and folders (recursively) into a case.

    Originals are stored untouched under their SHA-256; metadata, thumbnails and text are
    extracted; every file gets a custody event. A second run skips what is already in.

    Example:

        vestige import ~/evidence/batch-3 report.pdf --case nk-2023 --note "from field team"
    """
    setup_django()
    from django.contrib.auth import get_user_model

    from ..evidence.importing import FileOutcome, Importer

    case = _case(slug)
    for path in paths:
        if not os.path.lexists(path):
            raise UserError(f"no such file or folder: {path}")
    account = None
    if user:
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise click.UsageError(f"no user {user!r}")
    console = Console(stderr=True)
    show_progress = console.is_terminal
    progress = Progress(
        TextColumn("[bold]importing"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show_progress,
        transient=False,
    )
    task_id = progress.add_task("import", total=None, bytes=0)
    done_bytes = 0

    def on_progress(outcome: FileOutcome, done: int, total: int | None) -> None:
        nonlocal done_bytes
        if outcome.status in ("imported", "duplicate"):
            done_bytes += outcome.size
        progress.update(task_id, completed=done, total=total, bytes=done_bytes)
        notable = outcome.status not in ("imported", "skipped") or outcome.message
        if not as_json and (verbose or notable):
            style = STATUS_STYLE.get(outcome.status, "")
            line = Text.assemble((f"{outcome.status:<9}", style), " ", outcome.path)
            if outcome.message:
                line.append(f" — {outcome.message}", style="dim")
            progress.console.print(line)

    importer = Importer(
        case,
        actor=cli_actor(user),
        user=account,
        note=note,
        workers=workers,
        on_progress=on_progress,
    )
    with progress:
        summary = importer.run(list(paths))
    if as_json:
        emit_json([o.as_dict() for o in summary.outcomes])
    else:
        table = Table(title=f"Import into {case.slug}", show_header=True)
        for status in ("imported", "duplicate", "skipped", "refused", "failed"):
            table.add_column(status, justify="right")
        table.add_row(
            *(
                str(summary.count(s))
                for s in ("imported", "duplicate", "skipped", "refused", "failed")
            )
        )
        console.print(table)
        seconds = max(summary.seconds, 1e-9)
        console.print(
            f"{len(summary.outcomes)} entries in {summary.seconds:.1f} s — "
            f"{summary.bytes_read / seconds / 1e6:.1f} MB/s"
        )
    sys.exit(0 if summary.ok else 1)


@click.command("verify")
@click.option("--case", "slug", default=None, help="Verify one case (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--background", is_flag=True, help="Queue the verification for `vestige worker`.")
def verify_command(slug: str | None, as_json: bool, background: bool) -> None:
    """Re-hash every blob and check every custody chain and signature.

    Exits 0 only when everything checks; otherwise names each problem (which item or event,
    what was expected, what was found) and exits 1. A clean case gets a `verified` event.

    Example:

        vestige verify --case nk-2023
    """
    setup_django()
    from ..cases.models import Case
    from ..evidence.verification import verify_cases

    cases = [_case(slug)] if slug else list(Case.objects.order_by("slug"))
    if background:
        from ..evidence.tasks import verify_case_task

        queued = [
            {"case": case.slug, "task_id": str(verify_case_task.enqueue(case.slug, cli_actor()).id)}
            for case in cases
        ]
        if as_json:
            emit_json(queued)
        else:
            for entry in queued:
                click.echo(f"queued verification of {entry['case']}: task {entry['task_id']}")
        return
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]verifying"),
        TextColumn("{task.fields[mb]:,.1f} MB hashed"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
    )
    task_id = progress.add_task("verify", total=None, mb=0.0)
    hashed = 0

    def on_bytes(size: int) -> None:
        nonlocal hashed
        hashed += size
        progress.update(task_id, mb=hashed / 1e6)

    started = time.monotonic()
    with progress:
        report = verify_cases(cases, actor=cli_actor(), on_bytes=on_bytes)
    if as_json:
        emit_json(report.as_dict())
    else:
        for case_report in report.cases:
            mark = "[green]ok[/]" if case_report.ok else "[red]FAILED[/]"
            console.print(
                f"{mark} {case_report.case}: {case_report.items} items, {case_report.blobs} "
                f"blobs ({case_report.bytes / 1e6:.1f} MB), {case_report.events} custody events"
            )
            for problem in case_report.problems:
                click.echo(f"  PROBLEM {problem.subject}: {problem.message}")
        if not report.cases:
            console.print("no cases to verify")
        console.print(f"checked in {time.monotonic() - started:.1f} s")
    sys.exit(0 if report.ok else 1)


@click.command("export")
@click.argument("slug")
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path), help="The zip file to write."
)
@click.option(
    "--recipient",
    type=click.Choice(RECIPIENTS),
    default=None,
    help="Who the bundle is for. Items linked to protected people go in only with their consent "
    "for this recipient (use: evidence); without --recipient they are all withheld.",
)
def export_command(slug: str, out: Path, recipient: str | None) -> None:
    """Write a case's export bundle: originals, manifest, SHA256SUMS, custody log, signature.

    The bundle can be checked without Vestige (see the README), or with `verify-bundle`.
    Testimony and documents of protected people obey their recorded consent: withheld items are
    listed in the manifest by id only, and their custody events without their contents.

    Example:

        vestige export nk-2023 --out nk-2023-icc.zip --recipient icc
    """
    setup_django()
    from ..evidence.bundles import export_case

    manifest = export_case(_case(slug), out, actor=cli_actor(), recipient=recipient)
    click.echo(
        f"wrote {out}: {len(manifest['items'])} items, {manifest['custody']['events']} custody "
        f"events, signed by key {manifest['key_id']}"
    )
    if manifest["withheld"]:
        click.echo(
            f"withheld {len(manifest['withheld'])} items linked to protected people without "
            f"consent for {recipient or 'an unnamed recipient'} (listed by id in the manifest)"
        )


@click.command("verify-bundle")
@click.argument("bundle", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--key",
    "key_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="A trusted public key (PEM) the bundle must be signed with.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_bundle_command(bundle: Path, key_file: Path | None, as_json: bool) -> None:
    """Check an export bundle: every hash, the manifest signature and the custody chain.

    BUNDLE is an export zip, or a dossier's output folder (`vestige dossier … --out DIR`).
    Needs no database. Exits 0 only when the bundle checks.

    Example:

        vestige verify-bundle nk-2023-bundle.zip --key published-key.pem
    """
    from ..core.bundle import verify_bundle

    report = verify_bundle(bundle, key_file.read_bytes() if key_file else None)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "key_id": report.key_id,
                "files": report.files,
                "events": report.events,
                "problems": report.problems,
            }
        )
    else:
        if report.ok:
            click.echo(
                f"ok: {report.files} files and {report.events} custody events check; "
                f"signed by key {report.key_id}"
            )
            if key_file is None:
                click.echo(
                    "note: the bundle carries its own public key; compare its id with the "
                    "instance's published key (`vestige keys show`) or pass --key"
                )
        for problem in report.problems:
            click.echo(f"PROBLEM {problem}")
    sys.exit(0 if report.ok else 1)


def register(group: click.Group) -> None:
    for command in (import_command, verify_command, export_command, verify_bundle_command):
        group.add_command(command)
