"""The agreement pages: the ceasefire agreements, one agreement with its provisions, the
timeline of incidents alleged to violate it and, per provision, those allegations with their
sources; and linking an incident to a provision from the incident page.

Every view is case-scoped through ``case_view``: a non-member gets 404, a member needs VIEW to
look and EDIT to link. Claims drawn from protected items are left out for a member without
REVEAL (``hide_claims_of_protected``): their text could say who the witness is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from ...agreements import catalogue
from ...agreements.models import ViolationAllegation
from ...agreements.services import allege_violation
from ...cases.graph import Claim, Incident
from ...cases.roles import Permission
from ...core.errors import NotFound, UserError
from ...protection.access import hide_claims_of_protected
from ..access import CaseAccess, case_view
from .graph_support import build_timeline

TIMELINE_LIMIT = 200


def _context(access: CaseAccess, **extra: Any) -> dict[str, Any]:
    return {"access": access, "case": access.case, "can": access.can, "nav": "cases",
            "section": "agreements", **extra}


def visible_claims(request: HttpRequest, access: CaseAccess) -> QuerySet[Claim]:
    """The case's claims this viewer may see (protected items' claims left out without REVEAL)."""
    return hide_claims_of_protected(
        Claim.objects.filter(case=access.case), request.user, access.case
    )


@require_safe
@case_view(Permission.VIEW)
def agreement_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Every agreement with how many alleged violations this case links to it."""
    counts = dict(
        ViolationAllegation.objects.filter(case=access.case).values_list("agreement_id")
        .annotate(n=Count("pk")).values_list("agreement_id", "n")
    )
    rows = [(agreement, counts.get(agreement.id, 0)) for agreement in catalogue.agreements()]
    return render(request, "vestige/agreements/agreement_list.html", _context(access, rows=rows))


@dataclass
class ProvisionRow:
    """One provision with the case's allegations against it and their visible sources."""

    provision: catalogue.Provision
    allegations: list[tuple[ViolationAllegation, list[Claim]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.allegations)


def _sources(request: HttpRequest, access: CaseAccess, ids: list[int]) -> dict[int, list[Claim]]:
    """Per allegation, the claims it rests on that this viewer may see, with their items."""
    links = list(
        ViolationAllegation.claims.through.objects.filter(violationallegation_id__in=ids)
        .values_list("violationallegation_id", "claim_id")
    )
    claims = visible_claims(request, access).filter(pk__in={c for _, c in links})
    by_pk = {claim.pk: claim for claim in claims.select_related("item")}
    found: dict[int, list[Claim]] = {}
    for allegation_id, claim_id in sorted(links):
        if claim_id in by_pk:
            found.setdefault(allegation_id, []).append(by_pk[claim_id])
    return found


@require_safe
@case_view(Permission.VIEW)
def agreement_detail(request: HttpRequest, access: CaseAccess, agreement_id: str) -> HttpResponse:
    """One agreement: its provisions as quoted (or paraphrased), a timeline of the incidents
    alleged to violate it and, per provision, the count of allegations with their sources."""
    try:
        agreement = catalogue.get_agreement(agreement_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    allegations = list(
        ViolationAllegation.objects.filter(case=access.case, agreement_id=agreement.id)
        .select_related("incident", "created_by").order_by("incident__date_lower", "pk")
    )
    by_allegation = _sources(request, access, [a.pk for a in allegations])
    rows = {p.id: ProvisionRow(p) for p in agreement.provisions}
    for allegation in allegations:
        row = rows.get(allegation.provision_id)
        if row is not None:
            row.allegations.append((allegation, by_allegation.get(allegation.pk, [])))
    incidents: dict[int, Incident] = {}
    for allegation in allegations:
        incidents.setdefault(allegation.incident_id, allegation.incident)
    dated = [i for i in incidents.values() if i.date_lower or i.date_upper]
    timeline = build_timeline(dated[:TIMELINE_LIMIT], undated=len(incidents) - len(dated))
    orphans = [a for a in allegations if a.provision_id not in rows]
    context = _context(
        access, agreement=agreement, rows=list(rows.values()), timeline=timeline,
        total=len(allegations), orphans=orphans, paraphrase_label=catalogue.PARAPHRASE_LABEL,
    )
    return render(request, "vestige/agreements/agreement_detail.html", context)


class ClaimChoiceField(forms.ModelMultipleChoiceField):
    """Claims shown as ``item title: passage`` so the editor sees what each one says."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.item.title}: {obj.text[:120]}"


class AllegationForm(forms.Form):
    """Link an incident to one provision, with the claims the allegation rests on."""

    provision = forms.ChoiceField(label="Provision")
    note = forms.CharField(
        label="Why it is alleged to violate it", required=False,
        widget=forms.Textarea(attrs={"rows": 2}), max_length=4000,
    )
    claims = ClaimChoiceField(
        label="Sources (claims of this incident)", queryset=Claim.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, claims: QuerySet[Claim], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_ = self.fields["provision"]
        assert isinstance(field_, forms.ChoiceField)
        field_.choices = [
            (a.short_title, [(p.id, p.label) for p in a.provisions])
            for a in catalogue.agreements()
        ]
        claims_field = self.fields["claims"]
        assert isinstance(claims_field, ClaimChoiceField)
        claims_field.queryset = claims


def allegation_form(request: HttpRequest, access: CaseAccess, incident: Incident,
                    data: Any = None) -> AllegationForm:
    """The link form for ``incident``, offering only the claims this viewer may see."""
    claims = visible_claims(request, access).filter(incidents=incident).select_related("item")
    return AllegationForm(data, claims=claims.order_by("pk"))


@require_POST
@case_view(Permission.EDIT)
def incident_allege(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Link the incident as an alleged violation of a provision (kept in the case's history)."""
    incident = get_object_or_404(Incident, pk=pk, case=access.case)
    form = allegation_form(request, access, incident, request.POST)
    back = reverse("incident-detail", args=[access.case.slug, incident.pk]) + "#agreements"
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in form.errors.items()
        )
        messages.error(request, f"The link was not made: {problems}")
        return redirect(back)
    try:
        allegation = allege_violation(
            incident, form.cleaned_data["provision"], request.user,
            note=form.cleaned_data["note"], claims=form.cleaned_data["claims"],
        )
    except UserError as exc:
        messages.error(request, f"The link was not made: {exc}")
        return redirect(back)
    provision = catalogue.get_provision(allegation.provision_id)
    messages.success(request, f"Linked as an alleged violation of {provision.label}.")
    return redirect(back)
