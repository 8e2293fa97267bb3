"""Helpers shared by the case-graph pages: edit history as readable diffs, a passage in its
context, and the timeline drawn as SVG on the server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse

from ...cases.graph import Edit, Incident

# Fields that change on every save or are derived; a diff that shows them says nothing.
QUIET_FIELDS = {"updated_at", "created_at", "folded", "date_lower", "date_upper", "id"}
MAX_VALUE = 300


@dataclass(frozen=True)
class Change:
    """One field of one edit: its value before and after."""

    field: str
    before: str
    after: str


@dataclass
class EditView:
    """An Edit as a page shows it: the changed fields and a link to the record."""

    edit: Edit
    changes: list[Change] = field(default_factory=list)
    link: str = ""
    label: str = ""


def _show(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + " …"


def changes_of(edit: Edit) -> list[Change]:
    """The fields an edit changed (all non-empty fields for a creation or a deletion)."""
    before = edit.before if isinstance(edit.before, dict) else {}
    after = edit.after if isinstance(edit.after, dict) else {}
    keys = [k for k in (list(after) + [k for k in before if k not in after])
            if k not in QUIET_FIELDS]
    result = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if edit.action == "update" and old == new:
            continue
        if edit.action != "update" and _show(old) == "" and _show(new) == "":
            continue
        result.append(Change(key.replace("_", " "), _show(old), _show(new)))
    return result


_MODEL_PAGES = {
    "cases.Incident": ("incident-detail", None),
    "cases.IncidentCount": ("incident-detail", "incident"),
    "cases.IncidentActor": ("incident-detail", "incident"),
    "cases.IncidentRelation": ("incident-detail", "source"),
    "cases.Actor": ("actor-detail", None),
    "cases.ActorName": ("actor-detail", "actor"),
    "cases.Position": ("actor-detail", "actor"),
    "cases.ActorRelation": ("actor-detail", "subject"),
    "cases.Place": ("place-detail", None),
    "cases.PlaceName": ("place-detail", "place"),
    "law.Characterisation": ("characterisation-detail", None),
    "law.ElementAssessment": ("characterisation-detail", "characterisation"),
    "law.LiabilityLink": ("liability-detail", None),
}


def edit_view(edit: Edit, slug: str) -> EditView:
    """An edit with its changes and a link to the page of what it changed."""
    view = EditView(edit, changes_of(edit), label=edit.model.split(".")[-1])
    state = edit.after if isinstance(edit.after, dict) else edit.before
    state = state if isinstance(state, dict) else {}
    if edit.model == "cases.Claim" and state.get("item"):
        try:
            view.link = reverse("item-detail", args=[slug, state["item"]])
        except NoReverseMatch:
            view.link = ""
        return view
    page = _MODEL_PAGES.get(edit.model)
    if page is None:
        return view
    name, parent = page
    target = state.get(parent) if parent else edit.object_id
    if target is None or (edit.action == "delete" and parent is None):
        return view
    try:
        view.link = reverse(name, args=[slug, int(target)])
    except (NoReverseMatch, TypeError, ValueError):
        view.link = ""
    return view


def history_for(case_id: int, model: str, pk: int, children: dict[str, str]) -> QuerySet[Edit]:
    """Edits of one record and of its children (``{"cases.IncidentCount": "incident"}``)."""
    condition = Q(model=model, object_id=str(pk))
    for child, parent in children.items():
        condition |= Q(model=child, **{f"after__{parent}": pk})
        condition |= Q(model=child, action="delete", **{f"before__{parent}": pk})
    return Edit.objects.filter(case_id=case_id).filter(condition).select_related("user")


@dataclass(frozen=True)
class Passage:
    """A span of an item's text with some text either side."""

    before: str
    text: str
    after: str
    cut_before: bool
    cut_after: bool


def passage(text: str, start: int, end: int, span: str, context: int = 240) -> Passage:
    """The span ``start:end`` of ``text`` in its context; the stored span when the text is
    missing or no longer matches."""
    if not text or text[start:end] != span:
        return Passage("", span, "", False, False)
    lo, hi = max(0, start - context), min(len(text), end + context)
    return Passage(text[lo:start], text[start:end], text[end:hi], lo > 0, hi < len(text))


# ---------------------------------------------------------------- timeline

TIMELINE_WIDTH = 1200
LABEL_WIDTH = 300
ROW_HEIGHT = 26
AXIS_HEIGHT = 34
MIN_BAR = 5


@dataclass
class TimelineRow:
    """One incident on the timeline: a bar from its earliest to its latest possible day."""

    incident: Incident
    y: int
    x: float
    width: float
    label: str
    date_text: str
    classes: str
    open_start: bool
    open_end: bool
    point: bool
    text_y: int
    bar_y: int
    dot_x: float = 0.0


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    rows: list[TimelineRow]
    ticks: list[Tick]
    width: int
    height: int
    start: date | None
    end: date | None
    undated: int
    plot_left: int = LABEL_WIDTH
    plot_right: int = TIMELINE_WIDTH - 20


def _ticks(start: date, end: date, scale: Any) -> list[Tick]:
    days = (end - start).days
    ticks: list[Tick] = []
    if days <= 120:
        day = date(start.year, start.month, 1)
        while day <= end:
            if day >= start:
                ticks.append(Tick(scale(day), day.strftime("%b %Y")))
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        if days <= 45:
            day = start
            ticks = []
            while day <= end:
                if day.weekday() == 0 or day == start:
                    ticks.append(Tick(scale(day), f"{day.day} {day:%b}"))
                day += timedelta(days=1)
        return ticks
    if days <= 3 * 366:
        step = 1 if days <= 400 else 3
        day = date(start.year, start.month, 1)
        while day <= end:
            if day >= start and (day.month - 1) % step == 0:
                ticks.append(Tick(scale(day), day.strftime("%b %Y") if day.month == 1
                                  or not ticks else day.strftime("%b")))
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return ticks
    years = end.year - start.year
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if years / s <= 14)
    year = (start.year // step + 1) * step
    while year <= end.year:
        ticks.append(Tick(scale(date(year, 1, 1)), str(year)))
        year += step
    return ticks


def build_timeline(incidents: list[Incident], undated: int) -> Timeline:
    """Lay out incidents as bars over a shared time axis; open ends reach the plot's edge."""
    bounds = [d for i in incidents for d in (i.date_lower, i.date_upper) if d is not None]
    if not bounds:
        return Timeline([], [], TIMELINE_WIDTH, AXIS_HEIGHT, None, None, undated)
    start, end = min(bounds), max(bounds)
    span_days = max((end - start).days, 1)
    pad = max(span_days // 40, 1)
    start, end = start - timedelta(days=pad), end + timedelta(days=pad)
    left, right = LABEL_WIDTH, TIMELINE_WIDTH - 20
    total = (end - start).days + 1

    def scale(day: date) -> float:
        return round(left + (right - left) * (day - start).days / total, 1)

    rows = []
    for index, incident in enumerate(incidents):
        lower, upper = incident.date_lower, incident.date_upper
        x0 = scale(lower) if lower else left
        x1 = scale(upper + timedelta(days=1)) if upper else right
        width = max(x1 - x0, MIN_BAR)
        precision = incident.date_precision or "undated"
        classes = ["bar", f"bar-{incident.status}", f"bar-precision-{precision}"]
        text = incident.date or ""
        if "~" in text or "%" in text:
            classes.append("bar-approximate")
        if "?" in text or "%" in text:
            classes.append("bar-uncertain")
        if lower is None or upper is None:
            classes.append("bar-open")
        y = AXIS_HEIGHT + index * ROW_HEIGHT
        title = incident.title if len(incident.title) <= 44 else incident.title[:42] + "…"
        rows.append(
            TimelineRow(
                incident, y, x0, round(width, 1), title, f"{incident.date} ({precision})",
                " ".join(classes), lower is None, upper is None,
                x1 - x0 <= MIN_BAR, y + ROW_HEIGHT // 2 + 4, y + 6,
                round(x0 + width / 2, 1),
            )
        )
    height = AXIS_HEIGHT + len(rows) * ROW_HEIGHT + 8
    return Timeline(rows, _ticks(start, end, scale), TIMELINE_WIDTH, height, start, end, undated)
