"""Forms of the protection registry pages.

Identity values only ever travel in the new-person form, typed by a protection officer, and are
handed straight to the protection services, which seal them. No other form has an identity
field, and no error message of these forms repeats a value back except to the officer who
typed it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from ...cases.graph import Place
from ...cases.models import Case
from ...evidence.models import Item
from ...protection.models import (
    ClaimCategory,
    ConsentUse,
    DamageClaim,
    PersonRole,
    ProtectedPerson,
    Recipient,
)
from ...protection.queries import with_claim, with_role
from ..forms import ListFilterForm
from .graph_forms import clean_edtf

# Columns the registry list can be sorted by.
PERSON_SORTS = ("pseudonym", "displacement_lower", "created_at")
MAX_LINES = 20
TEXT_MAX = 4000


def _lines(value: str) -> list[str]:
    """The non-empty lines of a textarea, stripped."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def place_choices(case: Case) -> list[tuple[str, str]]:
    """The places of origin used in the case's registry, for the list filter."""
    used = ProtectedPerson.objects.filter(case=case, place_of_origin__isnull=False)
    places = Place.objects.filter(pk__in=used.values("place_of_origin")).order_by("name")
    return [("", "Any place"), *((str(p.pk), p.display_name) for p in places)]


class RegistryFilterForm(ListFilterForm):
    """Filters and sort of a case's registry, read from the query string."""

    date_range = ("displaced_from", "displaced_to")
    filter_fields = ("role", "category", "place", "displaced_from", "displaced_to")
    default_sort = "pseudonym"

    role = forms.ChoiceField(
        required=False, label="Role", choices=[("", "Any role"), *PersonRole.choices]
    )
    category = forms.ChoiceField(
        required=False, label="Claim category",
        choices=[("", "Any claim"), *ClaimCategory.choices],
    )
    place = forms.ChoiceField(required=False, label="Place of origin")
    displaced_from = forms.DateField(required=False, label="Displaced from", widget=_date_widget())
    displaced_to = forms.DateField(required=False, label="to", widget=_date_widget())
    sort = forms.ChoiceField(
        required=False,
        choices=[(s, s) for f in PERSON_SORTS for s in (f, f"-{f}")],
        widget=forms.HiddenInput(),
    )

    def __init__(self, data: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["place"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = place_choices(case)

    def apply(self, people: QuerySet[ProtectedPerson]) -> QuerySet[ProtectedPerson]:
        """``people`` filtered by the valid fields and sorted; invalid fields are ignored."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("role"):
            people = with_role(people, data["role"])
        if data.get("category"):
            people = with_claim(people, data["category"])
        if data.get("place"):
            people = people.filter(place_of_origin_id=int(data["place"]))
        start: date | None = data.get("displaced_from")
        end: date | None = data.get("displaced_to")
        if start:
            people = people.filter(displacement_upper__gte=start)
        if end:
            people = people.filter(displacement_lower__lte=end)
        sort = self.sort_key
        return people.order_by(sort, "pseudonym", "pk")


class ClaimFilterForm(ListFilterForm):
    """Filters of a case's damage claims."""

    filter_fields = ("category", "place", "date_from", "date_to")
    default_sort = "-created_at"

    category = forms.ChoiceField(
        required=False, label="Category", choices=[("", "Any category"), *ClaimCategory.choices]
    )
    place = forms.ChoiceField(required=False, label="Place")
    date_from = forms.DateField(required=False, label="From", widget=_date_widget())
    date_to = forms.DateField(required=False, label="to", widget=_date_widget())

    def __init__(self, data: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        used = DamageClaim.objects.filter(person__case=case, place__isnull=False)
        places = Place.objects.filter(pk__in=used.values("place")).order_by("name")
        field = self.fields["place"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any place"), *((str(p.pk), p.display_name) for p in places)]

    def apply(self, claims: QuerySet[DamageClaim]) -> QuerySet[DamageClaim]:
        """``claims`` filtered by the valid fields, newest first."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("category"):
            claims = claims.filter(category=data["category"])
        if data.get("place"):
            claims = claims.filter(place_id=int(data["place"]))
        if data.get("date_from"):
            claims = claims.filter(date_upper__gte=data["date_from"])
        if data.get("date_to"):
            claims = claims.filter(date_lower__lte=data["date_to"])
        return claims.order_by("-created_at", "pk")


class PlaceField(forms.CharField):
    """A place typed by name in any script, or as ``#id``; resolved by the view."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "A name in any script (Stepanakert, Ստեփանակերտ, Xankəndi) or #id."
        )
        super().__init__(**kwargs)


class PersonForm(forms.Form):
    """A new protected person, typed by a protection officer. The identity part is sealed."""

    given_name = forms.CharField(max_length=200, label="Given name")
    family_name = forms.CharField(max_length=200, label="Family name", required=False)
    patronymic = forms.CharField(max_length=200, required=False)
    other_names = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Other names and spellings",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, in any script: the same name in Armenian, Russian, Latin.",
    )
    date_of_birth = forms.CharField(
        required=False, max_length=64, label="Date of birth",
        widget=forms.TextInput(attrs={"placeholder": "1961-03-17 or 1961", "class": "mono"}),
    )
    gender = forms.CharField(required=False, max_length=60)
    nationality = forms.CharField(required=False, max_length=120)
    contacts = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Telephone, e-mail, messenger: one per line.",
    )
    identity_documents = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Identity documents",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Type and number, one per line (passport AK1234567).",
    )
    address_before = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Address before displacement",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    address_after = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Address now",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Identity notes",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Sealed with the identity; only protection officers can read it.",
    )
    roles = forms.MultipleChoiceField(
        choices=PersonRole.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )
    place_of_origin = PlaceField(label="Place of origin")
    displacement_date = forms.CharField(
        required=False, max_length=64, label="Displaced on",
        widget=forms.TextInput(attrs={"placeholder": "2023-09-26 or 2023-09", "class": "mono"}),
        help_text="EDTF: a day, a month, or a range such as 2023-09-24/2023-09-30.",
    )

    def clean_displacement_date(self) -> str:
        return clean_edtf(self.cleaned_data.get("displacement_date", ""))

    def clean_date_of_birth(self) -> str:
        # Not echoed in the message: the error names the expected form only.
        value = (self.cleaned_data.get("date_of_birth") or "").strip()
        if value:
            try:
                clean_edtf(value)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    "Write the date of birth as 1961-03-17, 1961-03 or 1961."
                ) from exc
        return value

    def identity(self) -> dict[str, Any]:
        """The sealed part, as the protection services expect it."""
        data = self.cleaned_data
        return {
            "given_name": data["given_name"].strip(),
            "family_name": data["family_name"].strip(),
            "patronymic": data["patronymic"].strip(),
            "other_names": _lines(data["other_names"])[:MAX_LINES],
            "date_of_birth": data["date_of_birth"],
            "gender": data["gender"].strip(),
            "nationality": data["nationality"].strip(),
            "contacts": _lines(data["contacts"])[:MAX_LINES],
            "identity_documents": _lines(data["identity_documents"])[:MAX_LINES],
            "address_before": data["address_before"].strip(),
            "address_after": data["address_after"].strip(),
            "notes": data["notes"].strip(),
        }


class RevealForm(forms.Form):
    """Why the identity is needed: kept in the audit with the reveal."""

    reason = forms.CharField(
        min_length=10, max_length=1000, label="Reason for revealing",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Say why you need the identity now (a contact visit, a referral, a court "
                  "request). It is kept in the audit with your name. Do not write the "
                  "person's name here.",
        error_messages={
            "required": "Give a reason: every reveal is audited with it.",
            "min_length": "Give a reason of at least %(limit_value)d characters.",
        },
    )
    households = forms.BooleanField(
        required=False, label="Also show the household members listed in the claims",
        help_text="Each claim's household is a separate reveal in the audit.",
    )


class ConsentForm(forms.Form):
    """Consent for one recipient and one or more uses, with what was explained."""

    recipient = forms.ChoiceField(choices=Recipient.choices)
    uses = forms.MultipleChoiceField(
        choices=ConsentUse.choices, widget=forms.CheckboxSelectMultiple, label="Uses agreed",
        error_messages={"required": "Tick at least one use the person agreed to."},
    )
    explained = forms.CharField(
        max_length=TEXT_MAX, label="What was explained", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In your words: who will receive what, for what purpose, the risks, and "
                  "that consent can be withdrawn at any time.",
    )
    given_on = forms.DateField(label="Given on", widget=_date_widget())

    def clean_given_on(self) -> date:
        value: date = self.cleaned_data["given_on"]
        if value > date.today():
            raise forms.ValidationError("Consent cannot be given in the future.")
        return value


class WithdrawForm(forms.Form):
    """Withdrawal of a consent: never a deletion."""

    note = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the person withdrew (in person, by telephone) and anything they asked.",
    )


class ClaimForm(forms.Form):
    """A damage or displacement claim. Household members are sealed like identities."""

    category = forms.ChoiceField(choices=ClaimCategory.choices)
    place = PlaceField(label="Place")
    date = forms.CharField(
        required=False, max_length=64, label="Date",
        widget=forms.TextInput(attrs={"placeholder": "2023-09-19", "class": "mono"}),
        help_text="EDTF: 2023-09-19, 2023-09, 2020-10~ (about), 2023-09-19/2023-09-25.",
    )
    household = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Household members",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: given and family name, relation, date of birth "
                  "(Anna Petrosyan, daughter, 2009). Sealed: only protection officers can "
                  "read it.",
    )
    household_size = forms.IntegerField(required=False, min_value=1, max_value=200)
    value_amount = forms.DecimalField(
        required=False, min_value=0, max_digits=16, decimal_places=2, label="Value"
    )
    value_currency = forms.CharField(
        required=False, max_length=3, label="Currency",
        widget=forms.TextInput(attrs={"placeholder": "AMD", "class": "mono"}),
    )
    description = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was lost or suffered. Do not write names here: they are not sealed.",
    )
    needs = forms.CharField(required=False, max_length=TEXT_MAX,
                            widget=forms.Textarea(attrs={"rows": 2}))
    referrals = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Referrals made",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    supporting_items = forms.CharField(
        required=False, max_length=TEXT_MAX, label="Supporting items",
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text="Item ids of this case, one per line; they become restricted.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_date(self) -> str:
        return clean_edtf(self.cleaned_data.get("date", ""))

    def clean_value_currency(self) -> str:
        value = (self.cleaned_data.get("value_currency") or "").strip().upper()
        if value and (len(value) != 3 or not value.isalpha()):
            raise forms.ValidationError("Use a three-letter ISO 4217 code such as AMD or USD.")
        return value

    def clean_supporting_items(self) -> list[Item]:
        wanted: list[uuid.UUID] = []
        for number, line in enumerate(_lines(self.cleaned_data.get("supporting_items", "")), 1):
            try:
                wanted.append(uuid.UUID(line))
            except ValueError as exc:
                raise forms.ValidationError(f"Line {number} is not an item id.") from exc
        items = list(Item.objects.filter(case=self.case, pk__in=wanted))
        if len(items) != len(set(wanted)):
            raise forms.ValidationError("Some of these ids are not items of this case.")
        return items

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("value_amount") is not None and not cleaned.get("value_currency"):
            self.add_error("value_currency", "Name the currency of the value.")
        return cleaned

    def household_members(self) -> list[dict[str, str]]:
        """The household members as the protection services take them."""
        members: list[dict[str, str]] = []
        for line in _lines(self.cleaned_data.get("household", ""))[:200]:
            name, _, rest = line.partition(",")
            relation, _, born = rest.partition(",")
            given, _, family = name.strip().partition(" ")
            member = {"given_name": given, "family_name": family.strip(),
                      "relation": relation.strip(), "date_of_birth": born.strip()}
            members.append({k: v for k, v in member.items() if v})
        return members


class DecisionForm(forms.Form):
    """A protection officer's judgement on a suspected duplicate."""

    decision = forms.ChoiceField(
        choices=[("same", "Same person"), ("different", "Different people")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(required=False, max_length=TEXT_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AuditFilterForm(forms.Form):
    """Filters of the protection audit."""

    action = forms.ChoiceField(required=False, label="Action")
    person = forms.CharField(required=False, max_length=16, label="Pseudonym")

    def __init__(self, data: Any, actions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any action"), *actions]

    def condition(self) -> Q:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        condition = Q()
        if data.get("action"):
            condition &= Q(action=data["action"])
        if data.get("person"):
            condition &= Q(person__pseudonym__iexact=data["person"].strip())
        return condition
