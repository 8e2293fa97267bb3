"""Registry pages that record things: consent and its withdrawal, damage claims, duplicates,
and the statistics page.

Recording is for protection officers (``PROTECT_EDIT``); each change goes through the
protection services, which audit it. Judging a suspected duplicate may need both identities side
by side: that reveal asks for a reason like any other and is answered once, never cached.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ...cases.roles import Permission
from ...core.errors import UserError
from ...protection import charts, services
from ...protection import statistics as stats
from ...protection.models import ClaimCategory, Consent, DuplicateSuspicion, SuspicionStatus
from ...protection.suppression import SuppressedTable
from ..access import CaseAccess, case_view
from .registry import case_person, identity_rows, no_store, registry_context, resolve_place_field
from .registry_forms import ClaimForm, ConsentForm, DecisionForm, RevealForm, WithdrawForm

DUPLICATES_PER_PAGE = 25


# ---------------------------------------------------------------------------------- consent


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.PROTECT_EDIT)
def consent_create(request: HttpRequest, access: CaseAccess, person_id: Any) -> HttpResponse:
    """Record consent: one recipient, the uses agreed, what was explained and when."""
    person = case_person(access, person_id)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            for use in data["uses"]:
                services.record_consent(
                    person, user=request.user, recipient=data["recipient"], use=use,
                    explained=data["explained"], given_on=data["given_on"],
                )
        except UserError as exc:
            form.add_error(None, str(exc))
        else:
            count = len(data["uses"])
            plural = "s" if count != 1 else ""
            messages.success(request, f"Consent recorded for {count} use{plural}.")
            return redirect("registry-person", access.case.slug, person.pk)
    context = registry_context(access, "people", person=person, form=form)
    return render(request, "vestige/registry/consent_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.PROTECT_EDIT)
def consent_withdraw(
    request: HttpRequest, access: CaseAccess, person_id: Any, consent_id: int
) -> HttpResponse:
    """Withdraw a consent: it stays on record, marked withdrawn, with who and when."""
    person = case_person(access, person_id)
    consent = get_object_or_404(Consent, person=person, pk=consent_id)
    form = WithdrawForm(request.POST or None)
    if consent.withdrawn_at is not None:
        messages.info(request, "This consent was already withdrawn.")
        return redirect("registry-person", access.case.slug, person.pk)
    if request.method == "POST" and form.is_valid():
        services.withdraw_consent(consent, user=request.user, note=form.cleaned_data["note"])
        messages.success(
            request, f"Consent for {consent.get_recipient_display()} "
                     f"({consent.get_use_display().lower()}) withdrawn.")
        return redirect("registry-person", access.case.slug, person.pk)
    context = registry_context(access, "people", person=person, consent=consent, form=form)
    return render(request, "vestige/registry/consent_withdraw.html", context)


# ----------------------------------------------------------------------------------- claims


@sensitive_post_parameters("household")
@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.PROTECT_EDIT)
def claim_create(request: HttpRequest, access: CaseAccess, person_id: Any) -> HttpResponse:
    """Record a damage or displacement claim of a person."""
    person = case_person(access, person_id)
    form = ClaimForm(request.POST or None, case=access.case)
    if request.method == "POST" and form.is_valid():
        place = resolve_place_field(form, "place", access.case)
        if not form.errors:
            data = form.cleaned_data
            try:
                services.add_claim(
                    person, user=request.user, category=data["category"], place=place,
                    date=data["date"], household=form.household_members(),
                    household_size=data["household_size"], value_amount=data["value_amount"],
                    value_currency=data["value_currency"], description=data["description"],
                    needs=data["needs"], referrals=data["referrals"],
                    supporting_items=data["supporting_items"],
                )
            except UserError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Claim recorded.")
                return redirect("registry-person", access.case.slug, person.pk)
    context = registry_context(access, "claims", person=person, form=form)
    return no_store(render(request, "vestige/registry/claim_form.html", context))


# ------------------------------------------------------------------------------- duplicates


@require_safe
@case_view(Permission.REVEAL)
def duplicate_queue(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Pairs of records that share a keyed name or birth-date variant, for an officer to judge."""
    status = request.GET.get("status", SuspicionStatus.OPEN)
    if status not in SuspicionStatus.values:
        status = SuspicionStatus.OPEN
    pairs = (
        DuplicateSuspicion.objects.filter(case=access.case, status=status)
        .select_related("person_a", "person_b", "person_a__place_of_origin",
                        "person_b__place_of_origin", "decided_by")
        .order_by("-shared_keys", "created_at", "pk")
    )
    page = Paginator(pairs, DUPLICATES_PER_PAGE).get_page(request.GET.get("page"))
    counts = {
        value: DuplicateSuspicion.objects.filter(case=access.case, status=value).count()
        for value in SuspicionStatus.values
    }
    context = registry_context(
        access, "duplicates", page=page, status=status, counts=counts,
        statuses=list(SuspicionStatus.choices),
    )
    return render(request, "vestige/registry/duplicates.html", context)


@require_POST
@case_view(Permission.REVEAL)
def duplicate_scan(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Look for new suspected duplicates among the case's records (keyed hashes only)."""
    found = services.find_duplicates(access.case, user=request.user)
    count = len(found)
    messages.success(request, f"{count} new suspected duplicate{'s' if count != 1 else ''}."
                     if count else "No new suspected duplicates.")
    return redirect("registry-duplicates", access.case.slug)


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.REVEAL)
def duplicate_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """One suspected pair: reveal both for a reason, then judge it."""
    pair = get_object_or_404(
        DuplicateSuspicion.objects.select_related("person_a", "person_b"),
        case=access.case, pk=pk,
    )
    reveal_form = RevealForm(request.POST if request.POST.get("action") == "reveal" else None)
    decision_form = DecisionForm(request.POST if request.POST.get("action") == "decide" else None)
    sides: list[list[tuple[str, list[str]]]] = []
    if request.method == "POST" and reveal_form.is_bound and reveal_form.is_valid():
        reason = reveal_form.cleaned_data["reason"]
        sides = [identity_rows(services.reveal_identity(p, request.user, reason))
                 for p in (pair.person_a, pair.person_b)]
        reveal_form = RevealForm()
    if request.method == "POST" and decision_form.is_bound and decision_form.is_valid():
        decision = decision_form.cleaned_data["decision"]
        services.decide_duplicate(pair, request.user, decision,
                                  note=decision_form.cleaned_data["note"])
        verdict = "the same person" if decision == "same" else "different people"
        messages.success(
            request, f"{pair.person_a.pseudonym} and {pair.person_b.pseudonym}: {verdict}.")
        return redirect("registry-duplicates", access.case.slug)
    context = registry_context(
        access, "duplicates", pair=pair, reveal_form=reveal_form, decision_form=decision_form,
        sides=list(zip((pair.person_a, pair.person_b), sides, strict=False)) if sides else [],
    )
    return no_store(render(request, "vestige/registry/duplicate_detail.html", context))


# ------------------------------------------------------------------------------- statistics


@require_safe
@case_view(Permission.REGISTRY)
def statistics(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Displaced people by place and month, claims by category: small cells suppressed.

    Everything on the page comes from the suppressed tables (the charts too), so no figure
    under the threshold, and none that would give one back, reaches the browser.
    """
    report = stats.registry_statistics(access.case, request.user, purpose="web")
    categories = dict(ClaimCategory.choices)
    context = registry_context(
        access, "statistics", report=report,
        tables=[
            table_view(report.displacement, "displacement"),
            table_view(report.claims, "claims", row_names=categories),
        ],
        charts=[
            mark_safe(charts.displacement_by_month_svg(report)),  # noqa: S308 (escaped SVG)
            mark_safe(charts.claims_by_category_svg(report)),  # noqa: S308
            mark_safe(charts.displacement_heat_svg(report)),  # noqa: S308
        ],
    )
    return render(request, "vestige/registry/statistics.html", context)


@require_safe
@case_view(Permission.REGISTRY)
def statistics_csv(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The same suppressed tables as CSV (suppressed cells written as ``suppressed``)."""
    report = stats.registry_statistics(access.case, request.user, purpose="csv")
    response = HttpResponse(stats.statistics_csv(report), content_type="text/csv; charset=utf-8")
    disposition = content_disposition_header(True, f"{access.case.slug}-registry-statistics.csv")
    if disposition:
        response["Content-Disposition"] = disposition
    return response


def table_view(
    table: SuppressedTable, key: str, row_names: dict[str, str] | None = None
) -> dict[str, Any]:
    """A suppressed table laid out for the template: rows with their cells and totals."""
    names = row_names or {}
    totals = table.row_totals if table.has_row_totals else [None] * len(table.row_labels)
    rows = [
        {"label": str(names.get(label, label)), "cells": cells, "total": total}
        for label, cells, total in zip(table.row_labels, table.cells, totals, strict=True)
    ]
    return {
        "key": key, "title": table.title,
        "row_header": table.row_header.replace("_", " ").capitalize(),
        "columns": table.column_labels, "rows": rows,
        "has_row_totals": table.has_row_totals, "has_column_totals": table.has_column_totals,
        "column_totals": table.column_totals, "grand_total": table.grand_total,
        "suppressed": table.suppressed, "notes": table.notes,
    }
