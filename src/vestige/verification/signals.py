"""Provenance findings for items as they come in: the importer sends ``items_recorded`` after
each batch (bulk inserts send no ``post_save``); web captures call
:func:`vestige.verification.provenance.compute_for_items` themselves."""

from __future__ import annotations

from typing import Any


def _items_recorded(sender: Any, items: list[Any], **kwargs: Any) -> None:
    from .provenance import compute_for_items

    compute_for_items(items)


def connect() -> None:
    """Connect the handler once (the dispatch uid makes it idempotent)."""
    from ..evidence.importing import items_recorded

    items_recorded.connect(_items_recorded, dispatch_uid="vestige.verification.import")
