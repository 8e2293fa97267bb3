"""Fingerprints for items as they come in: the importer sends ``items_recorded`` after each batch
(bulk inserts send no ``post_save``); web captures call
:func:`vestige.corroboration.fingerprints.fingerprint_new_items` themselves."""

from __future__ import annotations

from typing import Any


def _items_recorded(sender: Any, items: list[Any], **kwargs: Any) -> None:
    from .fingerprints import fingerprint_new_items

    fingerprint_new_items(items)


def connect() -> None:
    """Connect the handler once (the dispatch uid makes it idempotent)."""
    from ..evidence.importing import items_recorded

    items_recorded.connect(_items_recorded, dispatch_uid="vestige.corroboration.import")
