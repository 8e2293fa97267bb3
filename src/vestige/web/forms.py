"""Forms of the web UI: the item filter of a case page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet

from ..evidence.models import Item, ItemKind

# Columns a case's item table can be sorted by (the GET value is the field, "-" for descending).
SORTABLE = ("title", "kind", "media_type", "size", "captured_at")
DEFAULT_SORT = "-captured_at"


def media_type_choices(types: Iterable[str], current: str = "") -> list[tuple[str, str]]:
    """Select options for the media types present: each family ("image/") and each type."""
    plain = sorted({t.split(";")[0].strip() for t in types if t})
    choices: list[tuple[str, str]] = [("", "All media types")]
    families: dict[str, list[str]] = {}
    for media_type in plain:
        families.setdefault(media_type.split("/")[0], []).append(media_type)
    for family, members in sorted(families.items()):
        choices.append((f"{family}/", f"{family}/ (all)"))
        choices.extend((m, f"\u2003{m}") for m in members)
    if current and current not in dict(choices):
        choices.append((current, current))
    return choices


class ListFilterForm(forms.Form):
    """What every list filter shares: a date range checked for order, a validated sort with a
    default, and whether any filter is in use. Subclasses name their fields."""

    date_range: tuple[str, str] = ("date_from", "date_to")
    filter_fields: tuple[str, ...] = ()
    default_sort = ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = self.date_range
        start, end = cleaned.get(first), cleaned.get(last)
        if start and end and start > end:
            self.add_error(last, "The end date is before the start date.")
        return cleaned

    @property
    def sort_key(self) -> str:
        """The validated sort, or the list's default."""
        value = self.cleaned_data.get("sort") if hasattr(self, "cleaned_data") else None
        return value or self.default_sort

    @property
    def active(self) -> bool:
        """Whether any filter (not just the sort) is in use."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in self.filter_fields)


class ItemFilterForm(ListFilterForm):
    """Filter and sort of a case's items, read from the query string."""

    date_range = ("captured_from", "captured_to")
    filter_fields = ("kind", "type", "captured_from", "captured_to")
    default_sort = DEFAULT_SORT

    kind = forms.ChoiceField(
        required=False, choices=[("", "All kinds"), *ItemKind.choices], label="Kind"
    )
    type = forms.CharField(
        required=False, max_length=200, label="Media type", widget=forms.Select()
    )
    captured_from = forms.DateField(
        required=False, label="Captured from", widget=forms.DateInput(attrs={"type": "date"})
    )
    captured_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(s, s) for f in SORTABLE for s in (f, f"-{f}")],
        widget=forms.HiddenInput(),
    )

    def __init__(self, data: Any, media_types: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        current = str(data.get("type", "")) if data else ""
        type_field = self.fields["type"]
        assert isinstance(type_field.widget, forms.Select)
        type_field.widget.choices = media_type_choices(media_types, current)

    def apply(self, items: QuerySet[Item]) -> QuerySet[Item]:
        """``items`` filtered and sorted by the valid fields; invalid ones are ignored."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("kind"):
            items = items.filter(kind=data["kind"])
        if data.get("type"):
            items = items.filter(media_type__startswith=data["type"])
        if data.get("captured_from"):
            items = items.filter(captured_at__date__gte=data["captured_from"])
        if data.get("captured_to"):
            items = items.filter(captured_at__date__lte=data["captured_to"])
        sort = self.sort_key
        tie_breaks = [k for k in ("-captured_at", "title") if k.lstrip("-") != sort.lstrip("-")]
        return items.order_by(sort, *tie_breaks, "pk")
