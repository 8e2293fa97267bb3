"""Writing list versions and choosing which version answers an "as of" question.

A list version is immutable once imported: re-importing the same file is a no-op,
and a newer publication becomes a new :class:`SanctionsList`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, JSONField, Max, Model

from ..core.names import script_of
from .models import ListedEntity, ListedName, SanctionsList
from .records import EntityRecord

BATCH_SIZE = 5_000


def lists_as_of(when: date | None = None) -> list[SanctionsList]:
    """For each source, the newest version published on or before ``when``.

    ``when=None`` means today: the newest version of every source.  Screening
    "as of" a date must not see a list published after it, and must see the list
    that was in force then, so an older version is chosen even when newer ones exist.
    """
    when = when or date.today()
    newest = (
        SanctionsList.objects.filter(published__lte=when)
        .values("source")
        .annotate(latest=Max("published"))
    )
    chosen: list[SanctionsList] = []
    for row in newest:
        chosen.append(SanctionsList.objects.get(source=row["source"], published=row["latest"]))
    chosen.sort(key=lambda lst: lst.source)
    return chosen


def import_entities(
    target: SanctionsList,
    records: Iterable[EntityRecord],
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Store entities and their names in batches; return (entities, names) added.

    Builds rows in batches of ``batch_size`` entities with ``bulk_create`` so that a
    million names load in well under a minute.  The caller chooses the transaction
    (:func:`vestige.sanctions.importers.import_file` wraps the whole file in one).
    ``on_batch(entities_so_far, names_so_far)`` is called after every batch.
    The list's ``entity_count`` and ``name_count`` are increased accordingly.
    """
    iterator = iter(records)
    entity_total = 0
    name_total = 0
    while True:
        batch = list(islice(iterator, batch_size))
        if not batch:
            break
        with transaction.atomic():
            ids = _insert_entities(target, batch)
            rows = [
                (entity_pk, name[:1000], kind, _script(name))
                for entity_pk, record in zip(ids, batch, strict=True)
                for name, kind in [(record.primary_name, "primary"), *record.names]
            ]
            _insert_names(rows)
        entity_total += len(ids)
        name_total += len(rows)
        if on_batch is not None:
            on_batch(entity_total, name_total)
    if entity_total:
        SanctionsList.objects.filter(pk=target.pk).update(
            entity_count=target.entity_count + entity_total,
            name_count=target.name_count + name_total,
        )
        target.entity_count += entity_total
        target.name_count += name_total
    return entity_total, name_total


def _script(name: str) -> str:
    """:func:`script_of`, with a fast path for plain ASCII (most names on most lists)."""
    if name.isascii():
        return "Latin" if any(char.isalpha() for char in name) else ""
    return script_of(name)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    """A concrete model field (the raw inserts below need its column)."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _insert_names(rows: list[tuple[int, str, str, str]]) -> None:
    """Insert name rows with one ``executemany``: model instances for a million names
    would cost more than the database does."""
    table = connection.ops.quote_name(ListedName._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(_field(ListedName, name).column)
        for name in ("entity", "name", "kind", "script")
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)",  # noqa: S608 (names from _meta)
            rows,
        )


_ENTITY_FIELDS = (
    "list",
    "entity_id",
    "schema",
    "primary_name",
    "programmes",
    "nationalities",
    "birth_dates",
    "gender",
    "identifiers",
    "remarks",
    "raw",
)


def _entity_values(target: SanctionsList, record: EntityRecord) -> list[object]:
    return [
        target.pk,
        record.entity_id[:200],
        record.schema,
        record.primary_name[:1000],
        record.programmes,
        record.nationalities,
        record.birth_dates,
        record.gender[:20],
        record.identifiers,
        record.remarks,
        record.raw,
    ]


def _insert_entities(target: SanctionsList, batch: list[EntityRecord]) -> list[int]:
    """Insert entity rows with multi-row ``INSERT … RETURNING id``; their ids in order.

    Bypasses model instances and per-field preparation (the ORM's cost dominates at a
    million names); JSON columns get ``json.dumps`` text (cast to jsonb on PostgreSQL).
    Ids of one statement increase in the order of its rows on both databases, so the
    returned ids are sorted to pair them with the records.
    """
    meta = ListedEntity._meta
    fields = [_field(ListedEntity, name) for name in _ENTITY_FIELDS]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
    is_json = [isinstance(field, JSONField) for field in fields]
    row_sql = "(" + ", ".join(f"%s{json_cast}" if j else "%s" for j in is_json) + ")"
    per_statement = max(1, min(500, connection.ops.bulk_batch_size(fields, batch)))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(batch), per_statement):
            chunk = batch[start : start + per_statement]
            params: list[Any] = []
            for record in chunk:
                for json_value, value in zip(is_json, _entity_values(target, record), strict=True):
                    params.append(json.dumps(value, ensure_ascii=False) if json_value else value)
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_sql] * len(chunk))
                + f" RETURNING {quote(_field(ListedEntity, 'id').column)}",
                params,
            )
            ids.extend(sorted(row[0] for row in cursor.fetchall()))
    return ids


def create_list(
    *,
    source: str,
    fmt: str,
    name: str,
    published: date,
    file_sha256: str,
    imported_by_label: str = "",
) -> SanctionsList:
    """Create an empty list version (inside the caller's transaction)."""
    with transaction.atomic():
        return SanctionsList.objects.create(
            source=source,
            format=fmt,
            name=name,
            published=published,
            file_sha256=file_sha256,
            imported_by_label=imported_by_label,
        )
