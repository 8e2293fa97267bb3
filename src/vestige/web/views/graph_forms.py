"""Forms of the case-graph pages: incident filters, incidents, counts, actors and places."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from ...cases import vocabularies
from ...cases.graph import (
    Actor,
    ActorKind,
    Incident,
    IncidentStatus,
    PlaceKind,
)
from ...core.edtf import parse_edtf
from ...core.errors import UserError
from ...core.names import name_keys
from ..forms import ListFilterForm

# The controlled vocabularies are data files (vestige/cases/vocabularies/*.yaml): forms store
# their codes and pages show their labels. A stored value the vocabulary does not know is still
# offered, so nothing is lost by editing.
ACLED = "acled_event_types"


def vocab_choices(name: str, current: Any = "", blank: str | None = None,
                  parent: str | None = None) -> list[tuple[str, str]]:
    """(code, label) pairs of a vocabulary, with the current value(s) kept when unknown."""
    choices = [("", blank)] if blank is not None else []
    choices += vocabularies.choices(name, parent=parent)
    known = {code for code, _ in choices}
    for value in current if isinstance(current, list) else [current]:
        if value and value not in known:
            choices.append((value, str(value)))
    return choices


def sub_event_choices(current: str = "") -> list[Any]:
    """ACLED sub-event types grouped under their event type."""
    groups: list[Any] = [("", "—")]
    known: set[str] = set()
    for parent_code, parent_label in vocabularies.choices(ACLED, parent=""):
        children = vocabularies.choices(ACLED, parent=parent_code)
        known.update(code for code, _ in children)
        groups.append((parent_label, children))
    if current and current not in known:
        groups.append((current, current))
    return groups


# Columns the incident list can be sorted by.
INCIDENT_SORTS = ("date_lower", "title", "event_type", "status")


def clean_edtf(value: str, required: bool = False) -> str:
    """An EDTF string, or a ValidationError saying what is wrong with it."""
    value = (value or "").strip()
    if not value:
        if required:
            raise forms.ValidationError(
                "Enter a date in EDTF, e.g. 2023-09 or 2023-09-19/2023-09-20."
            )
        return ""
    try:
        parse_edtf(value)
    except UserError as exc:
        raise forms.ValidationError(f"Not a date Vestige understands: {exc}") from exc
    return value


class IncidentFilterForm(ListFilterForm):
    """Filters and sort of a case's incidents, read from the query string."""

    filter_fields = ("q", "event_type", "status", "date_from", "date_to", "place")
    default_sort = "date_lower"

    q = forms.CharField(required=False, max_length=200, label="Title contains")
    event_type = forms.ChoiceField(required=False, label="Event type")
    status = forms.ChoiceField(
        required=False, label="Status", choices=[("", "Any status"), *IncidentStatus.choices]
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.CharField(required=False, max_length=200, label="Place (any name)")
    sort = forms.ChoiceField(
        required=False,
        choices=[(s, s) for f in INCIDENT_SORTS for s in (f, f"-{f}")],
        widget=forms.HiddenInput(),
    )

    def __init__(self, data: Any, event_types: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        current = str(data.get("event_type", "")) if data else ""
        field = self.fields["event_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = vocab_choices(ACLED, blank="All types", parent="")
        known = {code for code, _ in field.choices}
        extra = sorted({v for v in event_types or [] if v} | ({current} if current else set()))
        field.choices += [(v, vocabularies.label(ACLED, v)) for v in extra if v not in known]

    def apply(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        """``incidents`` filtered by the valid fields. A date range keeps every incident whose
        possible dates overlap it (an incident of "2023" overlaps September 2023)."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            incidents = incidents.filter(title__icontains=data["q"])
        if data.get("event_type"):
            incidents = incidents.filter(event_type=data["event_type"])
        if data.get("status"):
            incidents = incidents.filter(status=data["status"])
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start:
            incidents = incidents.filter(Q(date_upper__gte=start) | Q(date_upper__isnull=True,
                                                                      date_lower__isnull=False))
        if end:
            incidents = incidents.filter(Q(date_lower__lte=end) | Q(date_lower__isnull=True,
                                                                    date_upper__isnull=False))
        if data.get("place"):
            keys = name_keys(data["place"])
            condition = Q(places__name__icontains=data["place"].strip())
            for key in keys:
                condition |= Q(places__names__folded__contains=key)
            incidents = incidents.filter(
                pk__in=Incident.objects.filter(condition).values("pk")
            )
        sort = self.sort_key
        ties = [k for k in ("date_lower", "title") if k != sort.lstrip("-")]
        return incidents.order_by(sort, *ties, "pk")


class IncidentForm(forms.ModelForm):
    """An incident's own fields; places are given by name (any script) or as ``#id``."""

    acts = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Acts (HURIDOCS)"
    )
    add_places = forms.CharField(
        required=False, max_length=1000, label="Add places",
        help_text="Names in any script or #id, separated by semicolons: "
        "Stepanakert; Шуша; #12",
    )

    class Meta:
        model = Incident
        fields = [
            "title", "date", "event_type", "sub_event_type", "acts", "status", "conflict_type",
            "description", "location_precision", "confidential",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "event_type": forms.Select(),
            "sub_event_type": forms.Select(),
            "date": forms.TextInput(
                attrs={"placeholder": "2023-09-19/2023-09-20", "class": "mono"}
            ),
        }
        labels = {"date": "Date (EDTF)", "location_precision": "Location precision (1 exact … 7)"}

    def __init__(self, *args: Any, event_types: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: Incident = self.instance
        event = self.fields["event_type"]
        assert isinstance(event.widget, forms.Select)
        event.widget.choices = vocab_choices(ACLED, instance.event_type, blank="—", parent="")
        sub = self.fields["sub_event_type"]
        assert isinstance(sub.widget, forms.Select)
        sub.widget.choices = sub_event_choices(instance.sub_event_type)
        acts = self.fields["acts"]
        assert isinstance(acts, forms.MultipleChoiceField)
        acts.choices = vocab_choices("huridocs_acts", list(instance.acts or []))
        self.fields["date"].help_text = (
            "EDTF: 2023-09-20 (day), 2023-09 (month), 2020-11~ (approximate), "
            "2023-09-19/2023-09-20 (interval), 2023? (uncertain)."
        )

    def clean_date(self) -> str:
        return clean_edtf(self.cleaned_data.get("date", ""))

    def clean_location_precision(self) -> int | None:
        value: int | None = self.cleaned_data.get("location_precision")
        if value is not None and not 1 <= value <= 7:
            raise forms.ValidationError("Use 1 (exact place) to 7 (country), as UCDP does.")
        return value


class CountForm(forms.Form):
    """One low / best / high count of an incident."""

    category = forms.CharField(required=False, max_length=40, widget=forms.TextInput(
        attrs={"list": "count-categories", "placeholder": "killed"}))
    low = forms.IntegerField(required=False, min_value=0)
    best = forms.IntegerField(required=False, min_value=0)
    high = forms.IntegerField(required=False, min_value=0)
    approximate = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        numbers = [cleaned.get(k) for k in ("low", "best", "high")]
        if any(n is not None for n in numbers) and not (cleaned.get("category") or "").strip():
            self.add_error("category", "Name what is counted (killed, displaced, …).")
        present = [n for n in numbers if n is not None]
        if present != sorted(present):
            self.add_error("high", "Low, best and high must not decrease.")
        return cleaned


CountFormSet = forms.formset_factory(CountForm, extra=2, max_num=20)


class IncidentActorForm(forms.Form):
    """One actor's part in an incident."""

    actor = forms.ModelChoiceField(queryset=Actor.objects.none(), required=False)
    role = forms.ChoiceField(required=False)
    involvement = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, actors: QuerySet[Actor] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["actor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = actors if actors is not None else Actor.objects.none()
        field.empty_label = "—"
        initial = dict(self.initial or {})
        if self.is_bound:  # a value stored before the vocabulary knew it stays valid
            initial = {k: str(self.data.get(self.add_prefix(k), ""))[:40]
                       for k in ("role", "involvement")}
        role, involvement = self.fields["role"], self.fields["involvement"]
        assert isinstance(role, forms.ChoiceField) and isinstance(involvement, forms.ChoiceField)
        role.choices = vocab_choices("incident_actor_roles", initial.get("role", ""), blank="—")
        involvement.choices = vocab_choices("involvement", initial.get("involvement", ""),
                                            blank="—")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("actor") and not cleaned.get("role"):
            self.add_error("role", "Choose the actor's role.")
        return cleaned


IncidentActorFormSet = forms.formset_factory(IncidentActorForm, extra=2, max_num=50)


class IncidentRelationForm(forms.Form):
    """Link this incident to another of the case."""

    relation = forms.ChoiceField()
    target = forms.ModelChoiceField(queryset=Incident.objects.none(), label="Incident")

    def __init__(self, *args: Any, incidents: QuerySet[Incident], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = incidents
        relation = self.fields["relation"]
        assert isinstance(relation, forms.ChoiceField)
        relation.choices = vocab_choices("incident_relations")


def _lines(text: str) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            rows.append([part.strip() for part in line.split("|")])
    return rows


class ActorForm(forms.ModelForm):
    """An actor's own fields; names in other scripts are added in ``other_names``."""

    nationalities_text = forms.CharField(
        required=False, max_length=200, label="Nationalities",
        help_text="ISO 3166 codes separated by commas: AZ, RU",
    )
    identifiers_text = forms.CharField(
        required=False, label="Identifiers", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: type | value | country (e.g. passport | C01234567 | AZ)",
    )
    other_names = forms.CharField(
        required=False, label="Add names", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, any script, optionally with a language: Алиев | ru",
    )

    class Meta:
        model = Actor
        fields = ["name", "kind", "description", "birth_date", "gender", "exculpatory"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "exculpatory": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"birth_date": "Birth date (EDTF)", "exculpatory": "Exculpatory information"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor: Actor = self.instance
        self.fields["kind"].choices = ActorKind.choices  # type: ignore[attr-defined]
        if actor.pk:
            self.fields["nationalities_text"].initial = ", ".join(actor.nationalities or [])
            self.fields["identifiers_text"].initial = "\n".join(
                " | ".join(str(entry.get(k, "")) for k in ("type", "value", "country")).rstrip(" |")
                for entry in actor.identifiers or [] if isinstance(entry, dict)
            )

    def clean_birth_date(self) -> str:
        return clean_edtf(self.cleaned_data.get("birth_date", ""))

    def clean_nationalities_text(self) -> list[str]:
        text = self.cleaned_data.get("nationalities_text", "")
        codes = [c.strip().upper() for c in text.split(",")]
        codes = [c for c in codes if c]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise forms.ValidationError(f"Not ISO 3166 two-letter codes: {', '.join(bad)}")
        return codes

    def clean_identifiers_text(self) -> list[dict[str, str]]:
        result = []
        for parts in _lines(self.cleaned_data.get("identifiers_text", "")):
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError("Write each identifier as: type | value | country")
            entry = {"type": parts[0], "value": parts[1]}
            if len(parts) > 2 and parts[2]:
                entry["country"] = parts[2].upper()
            result.append(entry)
        return result

    def clean_other_names(self) -> list[tuple[str, str]]:
        return [
            (parts[0], parts[1] if len(parts) > 1 else "")
            for parts in _lines(self.cleaned_data.get("other_names", ""))
            if parts[0]
        ]

    def save(self, commit: bool = True) -> Actor:
        actor: Actor = super().save(commit=False)
        actor.nationalities = self.cleaned_data["nationalities_text"]
        actor.identifiers = self.cleaned_data["identifiers_text"]
        return actor


class ActorNameForm(forms.Form):
    """Add one name to an actor."""

    name = forms.CharField(max_length=300)
    language = forms.CharField(max_length=35, required=False,
                               widget=forms.TextInput(attrs={"placeholder": "hy, ru, az …"}))
    kind = forms.ChoiceField(choices=[("alias", "alias"), ("primary", "primary"),
                                      ("former", "former")], initial="alias")


class PositionForm(forms.Form):
    """A position an actor held, with its EDTF interval."""

    title = forms.CharField(max_length=300)
    date = forms.CharField(max_length=64, required=False, label="When (EDTF)",
                           widget=forms.TextInput(attrs={"placeholder": "2018/2023"}))
    organisation = forms.ModelChoiceField(queryset=Actor.objects.none(), required=False)

    def __init__(self, *args: Any, actors: QuerySet[Actor] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = actors if actors is not None else Actor.objects.none()

    def clean_date(self) -> str:
        return clean_edtf(self.cleaned_data.get("date", ""))


class PlaceForm(forms.Form):
    """A place of the case (heritage site, checkpoint, road) with coordinates and precision."""

    name = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=PlaceKind.choices, initial=PlaceKind.HERITAGE_SITE)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90,
                                widget=forms.NumberInput(attrs={"step": "any"}))
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180,
                                 widget=forms.NumberInput(attrs={"step": "any"}))
    precision_m = forms.IntegerField(
        required=False, min_value=0, label="Precision (metres)",
        help_text="Radius within which the place lies.",
    )
    other_names = forms.CharField(
        required=False, label="Other names", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, any script: Ղազանչեցոց | hy",
    )
    contested = forms.CharField(
        required=False, label="Contested names", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Names used by different parties, one a line: Stepanakert | Armenian",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_other_names(self) -> list[tuple[str, str]]:
        return [(p[0], p[1] if len(p) > 1 else "") for p in _lines(
            self.cleaned_data.get("other_names", "")) if p[0]]

    def clean_contested(self) -> list[dict[str, str]]:
        return [{"name": p[0], "used_by": p[1] if len(p) > 1 else ""} for p in _lines(
            self.cleaned_data.get("contested", "")) if p[0]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            self.add_error("longitude", "Give both latitude and longitude, or neither.")
        return cleaned
