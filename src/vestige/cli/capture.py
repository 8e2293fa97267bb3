"""``vestige capture``: preserve web pages into a case, in the foreground or for the worker."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ..core.errors import NotFound, UserError
from .base import cli_actor, setup_django

if TYPE_CHECKING:
    from ..capture.models import Capture, CaptureBatch
    from ..cases.models import Case

STATUS_STYLE = {"done": "green", "failed": "red", "refused": "yellow", "queued": "cyan"}


def read_url_file(path: Path) -> list[str]:
    """The URLs listed in ``path`` (``-`` for standard input).

    A ``.csv`` file is read as CSV: the column headed ``url`` (any case), else the first
    column; a first row whose cell is not a URL is taken as the header. Any other file is a
    plain list: one URL per line; blank lines and lines starting with ``#`` are skipped.
    """
    if str(path) == "-":
        text = sys.stdin.read()
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise UserError(f"no such file: {path}") from exc
        except UnicodeDecodeError as exc:
            raise UserError(f"{path} is not UTF-8 text: {exc.reason}") from exc
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror}") from exc
    if path.suffix.lower() == ".csv":
        return _urls_from_csv(text, path)
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _looks_like_url(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


def _urls_from_csv(text: str, path: Path) -> list[str]:
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise UserError(f"{path} is not a readable CSV file: {exc}") from exc
    if not rows:
        return []
    column = 0
    header = [cell.strip().lower() for cell in rows[0]]
    if "url" in header:
        column = header.index("url")
        rows = rows[1:]
    elif not _looks_like_url(rows[0][0]):
        rows = rows[1:]
    return [
        row[column].strip()
        for row in rows
        if len(row) > column and row[column].strip() and not row[column].lstrip().startswith("#")
    ]


def _account(user: str | None) -> Any:
    if not user:
        return None
    from django.contrib.auth import get_user_model

    account = get_user_model().objects.filter(username=user).first()
    if account is None:
        raise UserError(f"no user {user!r}")
    return account


def _case_for(slug: str, account: Any) -> Case:
    """The case, checked like the web does when the command acts as an account."""
    from ..cases.access import case_for
    from ..cases.models import Case
    from ..cases.roles import Permission

    if account is not None:
        return case_for(account, slug, Permission.IMPORT)
    case = Case.objects.filter(slug=slug).first()
    if case is None:
        raise NotFound(f"no case {slug!r} (see `vestige case list`)")
    return case


def _batch(batch_id: str) -> CaptureBatch:
    from ..capture.models import CaptureBatch

    try:
        key = uuid.UUID(batch_id)
    except ValueError as exc:
        raise UserError(f"not a batch id: {batch_id!r} (batch ids are UUIDs)") from exc
    batch = CaptureBatch.objects.select_related("case").filter(pk=key).first()
    if batch is None:
        raise NotFound(f"no capture batch {batch_id}")
    return batch


def _row(capture: Capture) -> dict[str, Any]:
    from ..capture.service import status_row

    return status_row(capture)


class _BatchBar(BarColumn):
    """The bar, for the batch's row only; a capture's row shows its progress line instead."""

    def render(self, task: Task) -> Any:
        return Text("") if task.fields.get("capture") else super().render(task)


class _BatchCount(MofNCompleteColumn):
    def render(self, task: Task) -> Text:
        return Text("") if task.fields.get("capture") else super().render(task)


class _Display:
    """The progress display on standard error: one bar for the batch, one line per capture
    running. Thread-safe (rich's Progress is); silent when standard error is not a terminal."""

    def __init__(self, total: int, console: Console, quiet: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            _BatchBar(),
            _BatchCount(),
            TextColumn("{task.fields[line]}", style="dim"),
            TimeElapsedColumn(),
            console=console,
            disable=quiet or not console.is_terminal,
        )
        self.overall = self.progress.add_task("capturing", total=total, line="")
        self.lines: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def watcher(self, capture: Capture) -> Callable[[str], None]:
        with self.lock:
            shown = capture.url if len(capture.url) <= 50 else capture.url[:49] + "…"
            task = self.progress.add_task(f"  {shown}", total=None, line="", capture=True)
            self.lines[str(capture.pk)] = task

        def update(line: str) -> None:
            self.progress.update(task, line=line[:60])

        return update

    def finished(self, capture: Capture) -> None:
        with self.lock:
            task = self.lines.pop(str(capture.pk), None)
            if task is not None:
                self.progress.remove_task(task)
            self.progress.advance(self.overall)


def _run_one(capture: Capture, watch: Callable[[str], None]) -> Capture:
    """Run one capture in a pool thread, closing the thread's database connection after."""
    from django.db import connections

    from ..capture.service import run_capture

    try:
        return run_capture(capture.pk, on_progress=watch)
    finally:
        connections.close_all()


def _report(capture: Capture, as_json: bool, console: Console | None = None) -> None:
    """One line for a finished (or queued) capture on standard output; through ``console``
    when a live display owns the terminal, so the line lands above the bars."""
    row = _row(capture)
    if as_json:
        keys = (
            "url",
            "status",
            "item_id",
            "capture_id",
            "batch_id",
            "outcome",
            "error",
            "version",
            "unavailable",
            "removal",
            "final_url",
            "http_status",
        )
        click.echo(json.dumps({k: row[k] for k in keys}, ensure_ascii=False))
        return
    style = STATUS_STYLE.get(capture.status, "")
    line = Text.assemble((f"{capture.status:<8}", style), " ", capture.url)
    if capture.item_id:
        line.append(f"  item {capture.item_id}")
        if capture.version > 1:
            line.append(f" (version {capture.version})", style="dim")
    if capture.unavailable:
        line.append(f" — unavailable at source: {capture.removal}", style="yellow")
    if capture.error:
        line.append(f" — {capture.error}", style="dim")
    if console is not None:
        console.print(line, highlight=False, soft_wrap=True)
    else:
        click.echo(line.plain)


def run_foreground(
    captures: list[Capture], batch: CaptureBatch, as_json: bool, parallel: int
) -> list[Capture]:
    """Run ``captures`` here, ``parallel`` at a time, reporting each as it ends."""
    from ..capture.service import requeue_interrupted

    console = Console(stderr=True)
    display = _Display(len(captures), console, quiet=False)
    results: list[Capture] = []
    pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="capture")
    try:
        with display.progress:
            futures: dict[Future[Capture], Capture] = {
                pool.submit(_run_one, capture, display.watcher(capture)): capture
                for capture in captures
            }
            for future in as_completed(futures):
                capture = futures[future]
                try:
                    finished = future.result()
                except Exception:  # recorded on the capture by run_capture; show it from there
                    finished = type(capture).objects.get(pk=capture.pk)
                display.finished(finished)
                results.append(finished)
                # Both on the terminal: the display prints the line above its bars. Standard
                # output sent elsewhere gets the plain line.
                stdout = sys.__stdout__
                live = display.progress.live.is_started and bool(stdout and stdout.isatty())
                _report(finished, as_json, display.progress.console if live else None)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        requeue_interrupted(captures, force=True)
        click.echo(
            f"interrupted: resume with `vestige capture --resume {batch.pk}` "
            "(or let `vestige worker` take it over)",
            err=True,
        )
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(130)  # the pool's threads may be inside a capture; their work is requeued
    pool.shutdown(wait=True)
    return results


@click.command("capture")
@click.argument("urls", nargs=-1)
@click.option("--case", "slug", default=None, help="Slug of the case to capture into.")
@click.option(
    "--from",
    "from_file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    default=None,
    help="Read URLs from a file: one per line (# comments), or a CSV (.csv) with a url column.",
)
@click.option(
    "--mode",
    type=click.Choice(["browser", "http"]),
    default="browser",
    show_default=True,
    help="browser: headless Chromium (runs JavaScript, screenshot, PDF); http: plain requests.",
)
@click.option("--background", is_flag=True, help="Queue the captures for `vestige worker`.")
@click.option(
    "--resume",
    "resume",
    default=None,
    metavar="BATCH",
    help="Finish an interrupted batch (its id is printed when it starts).",
)
@click.option("--user", default=None, help="Act as this account (needs import rights).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per URL per line.")
def capture_command(
    urls: tuple[str, ...],
    slug: str | None,
    from_file: Path | None,
    mode: str,
    background: bool,
    resume: str | None,
    user: str | None,
    as_json: bool,
) -> None:
    """Capture web pages into a case: WARC/WACZ archive, screenshot, DOM, PDF, text, media.

    Runs in the foreground with a progress display (VESTIGE_CAPTURE_PARALLEL at a time) and
    prints each new item's id; with --background the captures wait for `vestige worker`.
    A URL captured before becomes a new version; the earlier one is never changed. Exits 1
    when any capture failed or was refused.

    Example:

        vestige capture https://example.org/report --case nk-2023 --mode http
    """
    setup_django()
    from django.conf import settings

    from ..capture import service

    account = _account(user)
    actor = cli_actor(user)
    if resume:
        if urls or from_file:
            raise UserError("--resume takes no URLs: it finishes the batch as it was requested")
        batch = _batch(resume)
        if slug and slug != batch.case.slug:
            raise UserError(f"batch {batch.pk} belongs to case {batch.case.slug!r}, not {slug!r}")
        _case_for(batch.case.slug, account)
        captures = _resumable(batch, background)
    else:
        if not slug:
            raise UserError("say which case to capture into: --case SLUG")
        case = _case_for(slug, account)
        wanted = list(urls) + (read_url_file(from_file) if from_file else [])
        if not wanted:
            raise UserError("no URL given: name URLs or use --from FILE")
        captures = service.request_captures(
            case, wanted, user=account, actor=actor, mode=mode, background=background
        )
        batch = captures[0].batch  # type: ignore[assignment]
        if not as_json:
            click.echo(
                f"batch {batch.pk}: {len(captures)} URL(s) into {case.slug} ({mode} mode)",
                err=True,
            )
    if background:
        for capture in captures:
            _report(capture, as_json)
        if not as_json:
            click.echo(f"queued {len(captures)} capture(s); `vestige worker` runs them", err=True)
        return
    results = run_foreground(captures, batch, as_json, int(settings.CAPTURE_PARALLEL))
    bad = [c for c in results if c.status in ("failed", "refused")]
    if not as_json:
        done = len(results) - len(bad)
        click.echo(f"{done} of {len(results)} captured", err=True)
    if bad:
        click.echo(
            f"error: {len(bad)} of {len(results)} capture(s) failed or were refused "
            f"(batch {batch.pk})",
            err=True,
        )
        sys.exit(1)


def _resumable(batch: CaptureBatch, background: bool) -> list[Capture]:
    """The batch's captures still to run, put back in the queue where they were cut short."""
    from ..capture import service
    from ..capture.models import Capture, CaptureStatus
    from ..capture.tasks import _task_alive

    unfinished = service.unfinished(batch)
    service.requeue_interrupted(unfinished)
    captures = list(
        Capture.objects.filter(pk__in=[c.pk for c in unfinished]).order_by("requested_at", "url")
    )
    busy = [c for c in captures if c.status == CaptureStatus.RUNNING]
    for capture in busy:
        click.echo(
            f"still running elsewhere (last progress at {capture.updated_at:%H:%M:%S} UTC): "
            f"{capture.url}",
            err=True,
        )
    queued = [c for c in captures if c.status == CaptureStatus.QUEUED]
    if not queued and not busy:
        click.echo(f"batch {batch.pk} has nothing left to capture", err=True)
    service.clean_leftover_workdirs(c.pk for c in queued)
    if background:
        for capture in queued:
            if not _task_alive(capture.task_id):
                service.enqueue(capture)
        if not batch.background:
            batch.background = True
            batch.save(update_fields=["background"])
    return queued


def register(group: click.Group) -> None:
    group.add_command(capture_command)
