"""The case list and a case's page: its items, members, upload and verification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_POST, require_safe

from ...cases.access import visible_cases
from ...cases.models import Membership
from ...cases.roles import Permission
from ...evidence.custody import actor_label
from ...evidence.models import CustodyEvent, Derivative, Item
from ...evidence.uploads import import_uploads
from ...evidence.verification import verify_cases
from ...protection.access import hide_protected
from ..access import CaseAccess, case_view
from ..forms import ItemFilterForm

ITEMS_PER_PAGE = 50
MAX_PROBLEMS_SHOWN = 25


@require_safe
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case the user is a member of, with their role and its number of items."""
    user: Any = request.user  # login_required: a real account here
    mine = Membership.objects.filter(case=OuterRef("pk"), user=user)
    role = mine.values("role")[:1]
    cases = (
        visible_cases(request.user)
        .annotate(item_count=Count("items", distinct=True), role=Subquery(role))
        .order_by("title", "slug")
    )
    return render(request, "vestige/case_list.html", {"cases": cases, "nav": "cases"})


@require_safe
@case_view(Permission.VIEW)
def case_detail(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """A case: description, members, and its items filtered, sorted and paginated."""
    case = access.case
    # Testimony linked to a protected person is left out for users who may not reveal.
    all_items = hide_protected(Item.objects.filter(case=case), request.user, case)
    media_types = all_items.order_by().values_list("media_type", flat=True).distinct()
    form = ItemFilterForm(request.GET, media_types=list(media_types))
    thumbnails = Prefetch(
        "derivatives", queryset=Derivative.objects.filter(kind="thumbnail"), to_attr="thumbnails"
    )
    items = form.apply(all_items.prefetch_related(thumbnails))
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    totals = all_items.aggregate(count=Count("pk"), size=Sum("size"))
    members = (
        Membership.objects.filter(case=case).select_related("user").order_by("user__username")
    )
    last_verified = (
        CustodyEvent.objects.filter(case=case, action="verified").order_by("-seq").first()
    )
    context = {
        "access": access,
        "case": case,
        "can": access.can,
        "form": form,
        "page": page,
        "sort": form.sort_key,
        "totals": totals,
        "members": members,
        "event_count": CustodyEvent.objects.filter(case=case).count(),
        "last_verified": last_verified,
        "nav": "cases",
    }
    return render(request, "vestige/case_detail.html", context)


@require_POST
@case_view(Permission.IMPORT)
def case_upload(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Import the uploaded files into the case and report each file's outcome."""
    uploads = request.FILES.getlist("files")
    if not uploads:
        messages.warning(request, "Choose at least one file to upload.")
        return redirect("case-detail", slug=access.case.slug)
    note = str(request.POST.get("note", ""))[:2000].strip()
    results = import_uploads(access.case, uploads, request.user, note=note)
    for name, outcome in results:
        detail = f" {outcome.message}" if outcome.message else ""
        if outcome.status == "imported":
            level = messages.WARNING if outcome.errors or outcome.warnings else messages.SUCCESS
            text = f"{name}: imported ({filesizeformat(outcome.size)}).{detail}"
        elif outcome.status in ("duplicate", "skipped"):
            level, text = messages.INFO, f"{name}: {outcome.status}.{detail}"
        else:
            level, text = messages.ERROR, f"{name}: {outcome.status}.{detail}"
        messages.add_message(request, level, text)
    return redirect("case-detail", slug=access.case.slug)


@require_POST
@case_view(Permission.VERIFY)
def case_verify(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Re-hash the case's blobs and check its custody chain, now; show what was found."""
    report = verify_cases([access.case], actor=actor_label(request.user)).cases[0]
    if report.ok:
        messages.success(
            request,
            f"Verified: {report.items} items and {report.blobs} stored files "
            f"({filesizeformat(report.bytes)}) re-hashed, {report.events} custody events "
            "checked. Everything is intact.",
        )
    else:
        count = len(report.problems)
        messages.error(
            request,
            f"Verification found {count} problem{'' if count == 1 else 's'} in this case. "
            "No 'verified' event was recorded.",
        )
        for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
            messages.error(request, f"{problem.subject}: {problem.message}")
        hidden = len(report.problems) - MAX_PROBLEMS_SHOWN
        if hidden > 0:
            messages.error(request, f"… and {hidden} more; run `vestige verify` for all of them.")
    return redirect("case-detail", slug=access.case.slug)
