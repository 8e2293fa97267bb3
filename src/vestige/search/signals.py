"""Keep the search index in step with the records it covers.

Saves and deletes of items, text derivatives, claims, incidents, actors (and their names) and
places (and their names) update the index at once, in the same transaction. An import writes
items with bulk inserts, which send no ``post_save``: it sends ``items_recorded`` instead.
``vestige search --reindex`` rebuilds everything from the records.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import index
from .models import RecordType


def _item_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        index.index_items([instance])


def _item_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    index.remove(RecordType.ITEM, instance.pk)


def _items_recorded(sender: Any, items: list[Any], **kwargs: Any) -> None:
    if items:
        index.index_items(items)


def _derivative_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.kind == "text":
        index.index_items([instance.item])


def _saved(indexer: Any) -> Any:
    def handler(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if not raw:
            indexer(instance)

    return handler


def _deleted(record_type: str) -> Any:
    def handler(sender: Any, instance: Any, **kwargs: Any) -> None:
        index.remove(record_type, instance.pk)

    return handler


def _name_changed(parent_model: Any, parent_field: str, indexer: Any) -> Any:
    def handler(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if raw:
            return
        parent = parent_model.objects.filter(pk=getattr(instance, parent_field)).first()
        if parent is not None:
            indexer(parent)

    return handler


def _places_changed(model: Any, indexer: Any) -> Any:
    def handler(
        sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
    ) -> None:
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if not reverse:
            indexer(instance)
        elif pk_set:
            for record in model.objects.filter(pk__in=pk_set):
                indexer(record)

    return handler


def connect() -> None:
    """Connect every handler (once; the dispatch uids make it idempotent)."""
    from ..cases.models import Actor, ActorName, Claim, Incident, Place, PlaceName
    from ..evidence.importing import items_recorded
    from ..evidence.models import Derivative, Item

    uid = "vestige.search."
    post_save.connect(_item_saved, sender=Item, dispatch_uid=uid + "item")
    post_delete.connect(_item_deleted, sender=Item, dispatch_uid=uid + "item-del")
    items_recorded.connect(_items_recorded, dispatch_uid=uid + "import")
    post_save.connect(_derivative_saved, sender=Derivative, dispatch_uid=uid + "derivative")
    records: list[tuple[Any, str, Any]] = [
        (Claim, RecordType.CLAIM, index.index_claim),
        (Incident, RecordType.INCIDENT, index.index_incident),
        (Actor, RecordType.ACTOR, index.index_actor),
        (Place, RecordType.PLACE, index.index_place),
    ]
    for model, record_type, indexer in records:
        post_save.connect(_saved(indexer), sender=model, weak=False,
                          dispatch_uid=f"{uid}{record_type}")
        post_delete.connect(_deleted(record_type), sender=model, weak=False,
                            dispatch_uid=f"{uid}{record_type}-del")
    for name_model, parent_model, field, indexer in (
        (ActorName, Actor, "actor_id", index.index_actor),
        (PlaceName, Place, "place_id", index.index_place),
    ):
        handler = _name_changed(parent_model, field, indexer)
        post_save.connect(handler, sender=name_model, weak=False,
                          dispatch_uid=f"{uid}{name_model.__name__}")
        post_delete.connect(handler, sender=name_model, weak=False,
                            dispatch_uid=f"{uid}{name_model.__name__}-del")
    for model, indexer in ((Claim, index.index_claim), (Incident, index.index_incident)):
        m2m_changed.connect(_places_changed(model, indexer), sender=model.places.through,
                            weak=False, dispatch_uid=f"{uid}{model.__name__}-places")
