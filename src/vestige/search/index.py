"""Building the search index: which text each record contributes, folded across scripts.

Every record becomes one :class:`~vestige.search.models.SearchEntry` (an item two: one with its
description only, for members who may not download, and one with its extracted text too). The
``folded`` column holds :func:`vestige.core.names.fold_text` of everything searchable, so that
"Aliyev", "Əliyev" and "Алиев" meet on one key; ``text`` keeps the original for snippets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction

from ..core.blobstore import LocalBlobStore
from ..core.edtf import parse_edtf
from ..core.errors import VestigeError
from ..core.names import fold_text
from .models import Part, RecordType, SearchEntry, SearchPlace

log = logging.getLogger(__name__)

# Text beyond this many characters of one item is not indexed (PostgreSQL's tsvector is
# limited to 1 MB, and snippets come from the start of the match anyway).
MAX_TEXT_CHARS = 200_000


def scope_token(case_id: int | None, part: str) -> str:
    """A word added to every entry's folded text naming its case and part, so that the
    full-text index itself can keep to the cases a user may see (``zscope12t``)."""
    return "zscopeshared" if case_id is None else f"zscope{case_id}{part[0]}"


@dataclass
class EntryData:
    """What one entry will hold, before it is written."""

    record_type: str
    record_id: str
    case_id: int | None
    title: str
    text: str = ""
    extra: str = ""  # searchable but not shown (other names, source file name)
    part: str = Part.ALL
    item_kind: str = ""
    incident_type: str = ""
    date_lower: date | None = None
    date_upper: date | None = None
    item_ref: str = ""
    place_ids: list[int] = field(default_factory=list)

    def entry(self) -> SearchEntry:
        """The unsaved row."""
        return SearchEntry(
            record_type=self.record_type,
            record_id=self.record_id,
            part=self.part,
            case_id=self.case_id,
            title=self.title[:500],
            text=self.text,
            folded=fold_text(" ".join((self.title, self.extra, self.text)))
            + " " + scope_token(self.case_id, self.part),
            title_folded=fold_text(self.title)[:1000],
            item_kind=self.item_kind,
            incident_type=self.incident_type[:80],
            date_lower=self.date_lower,
            date_upper=self.date_upper,
            item_ref=self.item_ref,
        )


def _bounds(edtf: str) -> tuple[date | None, date | None]:
    if not edtf:
        return None, None
    try:
        bounds = parse_edtf(edtf)
    except VestigeError:
        return None, None
    return bounds.lower, bounds.upper


def item_text(item: Any) -> str:
    """The item's extracted text (its ``text`` derivative), or "" when it has none."""
    derivative = item.derivatives.filter(kind="text").order_by("-created_at").first()
    if derivative is None:
        return ""
    store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in store.open_verified(derivative.sha256):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_TEXT_CHARS * 4:
                break
    except VestigeError as exc:  # missing or changed blob: index the description only
        log.warning("search: text of item %s not indexed: %s", item.pk, type(exc).__name__)
        return ""
    return b"".join(chunks).decode("utf-8", errors="replace")[:MAX_TEXT_CHARS]


def item_entries(item: Any, text: str | None = None) -> list[EntryData]:
    """An item's two entries: description only (``meta``) and with its text (``text``)."""
    body = item_text(item) if text is None else text
    lower, upper = _bounds(item.claimed_date)
    extra = " ".join(x for x in (item.source_name, item.source_channel) if x)
    common: dict[str, Any] = {
        "record_type": RecordType.ITEM, "record_id": str(item.pk), "case_id": item.case_id,
        "title": item.title, "extra": extra, "item_kind": item.kind,
        "date_lower": lower, "date_upper": upper,
    }
    description = item.description or ""
    with_text = f"{description}\n{body}".strip() if body else description
    return [
        EntryData(**common, text=description, part=Part.META),
        EntryData(**common, text=with_text, part=Part.TEXT),
    ]


def claim_entries(claim: Any) -> list[EntryData]:
    """A claim: its passage, who asserts it, its date and places."""
    return [
        EntryData(
            RecordType.CLAIM, str(claim.pk), claim.case_id, title=claim.text[:160],
            text=claim.text, extra=claim.asserted_by,
            date_lower=claim.date_lower, date_upper=claim.date_upper,
            item_ref=str(claim.item_id), place_ids=[p.pk for p in claim.places.all()],
        )
    ]


def incident_entries(incident: Any) -> list[EntryData]:
    """An incident: title, description, type, date and places."""
    return [
        EntryData(
            RecordType.INCIDENT, str(incident.pk), incident.case_id, title=incident.title,
            text=incident.description, extra=f"{incident.event_type} {incident.sub_event_type}",
            incident_type=incident.event_type,
            date_lower=incident.date_lower, date_upper=incident.date_upper,
            place_ids=[p.pk for p in incident.places.all()],
        )
    ]


def actor_entries(actor: Any) -> list[EntryData]:
    """An actor: every name it is known by, and its description."""
    names = [n.name for n in actor.names.all() if n.name != actor.name]
    text = " · ".join(names)
    if actor.description:
        text = f"{text}\n{actor.description}" if text else actor.description
    return [EntryData(RecordType.ACTOR, str(actor.pk), actor.case_id, title=actor.name, text=text)]


def place_entries(place: Any) -> list[EntryData]:
    """A place: every name in every script, and its description (shared places: no case)."""
    title = place.display_name
    shown = set(title.split(" / "))
    names = [n.name for n in place.names.all() if n.name not in shown]
    text = " · ".join(dict.fromkeys(names))
    if place.description:
        text = f"{text}\n{place.description}" if text else place.description
    return [
        EntryData(
            RecordType.PLACE, str(place.pk), place.case_id, title=title, text=text,
            extra=place.name, place_ids=[place.pk],
        )
    ]


def store(record_type: str, record_ids: Iterable[str], entries: list[EntryData]) -> None:
    """Replace the entries of these records by ``entries`` (in one transaction)."""
    ids = list(record_ids)
    with transaction.atomic():
        SearchEntry.objects.filter(record_type=record_type, record_id__in=ids).delete()
        rows = [data.entry() for data in entries]
        SearchEntry.objects.bulk_create(rows)
        if any(data.place_ids for data in entries):
            if any(row.pk is None for row in rows):  # backends that return no ids
                keyed = {
                    (e.record_id, e.part): e.pk
                    for e in SearchEntry.objects.filter(record_type=record_type, record_id__in=ids)
                }
                for row in rows:
                    row.pk = keyed[(row.record_id, row.part)]
            SearchPlace.objects.bulk_create(
                SearchPlace(entry_id=row.pk, place_id=place_id)
                for row, data in zip(rows, entries, strict=True)
                for place_id in dict.fromkeys(data.place_ids)
            )


def remove(record_type: str, record_id: Any) -> None:
    """Take a record out of the index."""
    SearchEntry.objects.filter(record_type=record_type, record_id=str(record_id)).delete()


def index_items(items: Iterable[Any]) -> None:
    """(Re)index items, e.g. a batch just imported."""
    items = list(items)
    entries = [data for item in items for data in item_entries(item)]
    store(RecordType.ITEM, [str(item.pk) for item in items], entries)


def index_claim(claim: Any) -> None:
    """(Re)index one claim."""
    store(RecordType.CLAIM, [str(claim.pk)], claim_entries(claim))


def index_incident(incident: Any) -> None:
    """(Re)index one incident."""
    store(RecordType.INCIDENT, [str(incident.pk)], incident_entries(incident))


def index_actor(actor: Any) -> None:
    """(Re)index one actor."""
    store(RecordType.ACTOR, [str(actor.pk)], actor_entries(actor))


def index_place(place: Any) -> None:
    """(Re)index one place."""
    store(RecordType.PLACE, [str(place.pk)], place_entries(place))


def index_places(places: Iterable[Any]) -> int:
    """(Re)index many places at once, e.g. after a gazetteer seed written with bulk inserts
    (which send no signals); return how many."""
    from ..cases.models import Place

    ids = [p.pk for p in places]
    count = 0
    for start in range(0, len(ids), 500):
        batch = list(Place.objects.filter(pk__in=ids[start:start + 500]).prefetch_related("names"))
        count += _store_batch(RecordType.PLACE, batch, place_entries)
    return count


def reindex(
    case: Any | None = None, on_progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Rebuild the index from the records (one case, or everything); return counts per type.

    Without a case, shared gazetteer places are reindexed too, and entries of records that no
    longer exist are dropped.
    """
    from ..cases.models import Actor, Claim, Incident, Place
    from ..evidence.models import Item

    def scoped(queryset: Any) -> Any:
        return queryset.filter(case=case) if case is not None else queryset

    kinds: list[tuple[str, Any, Callable[[Any], list[EntryData]]]] = [
        (RecordType.ITEM, scoped(Item.objects.all()), item_entries),
        (RecordType.CLAIM, scoped(Claim.objects.prefetch_related("places")), claim_entries),
        (
            RecordType.INCIDENT,
            scoped(Incident.objects.prefetch_related("places")),
            incident_entries,
        ),
        (RecordType.ACTOR, scoped(Actor.objects.prefetch_related("names")), actor_entries),
        (RecordType.PLACE, scoped(Place.objects.prefetch_related("names")), place_entries),
    ]
    counts: dict[str, int] = {}
    with transaction.atomic():
        if case is None:
            SearchEntry.objects.all().delete()
        else:
            SearchEntry.objects.filter(case=case).delete()
        for record_type, queryset, build in kinds:
            batch: list[Any] = []
            count = 0
            for record in queryset.order_by("pk").iterator(chunk_size=500):
                batch.append(record)
                if len(batch) >= 500:
                    count += _store_batch(record_type, batch, build)
                    batch = []
            count += _store_batch(record_type, batch, build)
            counts[str(record_type)] = count
            if on_progress:
                on_progress(str(record_type), count)
    return counts


def _store_batch(
    record_type: str, records: list[Any], build: Callable[[Any], list[EntryData]]
) -> int:
    if not records:
        return 0
    store(record_type, [str(r.pk) for r in records], [d for r in records for d in build(r)])
    return len(records)
