"""Every edit to the case graph is kept: who, when, the record before and after."""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.forms.models import model_to_dict

from ..evidence.custody import actor_label
from .graph import Edit


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The record's fields as JSON-friendly values (many-to-many as lists of ids)."""
    import json

    data = model_to_dict(instance)
    for relation in instance._meta.many_to_many:
        if instance.pk:
            data[relation.name] = sorted(
                getattr(instance, relation.name).values_list("pk", flat=True)
            )
    for column in instance._meta.fields:
        if not column.editable and column.name not in data:
            data[column.name] = getattr(instance, column.attname)
    loaded: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return loaded


def _case_id(instance: models.Model) -> int:
    case_id = getattr(instance, "case_id", None)
    if case_id is None:
        for parent in ("actor", "incident", "place", "subject", "source"):
            related = getattr(instance, parent, None)
            if related is not None and getattr(related, "case_id", None):
                return int(related.case_id)
        raise ValueError(f"{instance!r} belongs to no case; its edits cannot be kept")
    return int(case_id)


def save_with_history(instance: models.Model, user: Any, *, label: str | None = None) -> None:
    """Save ``instance`` and keep an :class:`Edit` with its state before and after."""
    with transaction.atomic():
        before = None
        if instance.pk is not None:
            stored = type(instance)._default_manager.filter(pk=instance.pk).first()
            before = snapshot(stored) if stored is not None else None
        instance.save()
        Edit.objects.create(
            case_id=_case_id(instance),
            model=instance._meta.label,
            object_id=str(instance.pk),
            action="update" if before is not None else "create",
            user=user if getattr(user, "is_authenticated", False) else None,
            actor_label=label or actor_label(user),
            before=before,
            after=snapshot(instance),
        )


def record_change(
    instance: models.Model, user: Any, before: dict[str, Any] | None, *, label: str | None = None
) -> None:
    """Keep an edit for a change already made (e.g. many-to-many links set after saving)."""
    Edit.objects.create(
        case_id=_case_id(instance),
        model=instance._meta.label,
        object_id=str(instance.pk),
        action="update" if before is not None else "create",
        user=user if getattr(user, "is_authenticated", False) else None,
        actor_label=label or actor_label(user),
        before=before,
        after=snapshot(instance),
    )


def delete_with_history(instance: models.Model, user: Any, *, label: str | None = None) -> None:
    """Delete ``instance`` and keep an :class:`Edit` with its last state."""
    with transaction.atomic():
        before = snapshot(instance)
        case_id = _case_id(instance)
        object_id = str(instance.pk)
        instance.delete()
        Edit.objects.create(
            case_id=case_id, model=instance._meta.label, object_id=object_id, action="delete",
            user=user if getattr(user, "is_authenticated", False) else None,
            actor_label=label or actor_label(user), before=before, after=None,
        )
