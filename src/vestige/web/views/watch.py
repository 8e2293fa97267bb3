"""The watch inbox: watched sources with their schedule and errors, the form to add one, and
the entries found, with their capture status and the incidents, actors and places matched.

Entry titles and summaries come from feeds on the internet: they are shown as escaped text only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ...cases.graph import Actor, Incident, Place
from ...cases.roles import Permission
from ...core.errors import UserError
from ...evidence.custody import actor_label
from ...watch import service
from ...watch.models import EntryStatus, WatchedSource, WatchEntry
from ..access import CaseAccess, case_view

ENTRIES_PER_PAGE = 50


class SourceForm(forms.Form):
    url = forms.CharField(
        label="Feed or page URL",
        max_length=2048,
        widget=forms.URLInput(attrs={"placeholder": "https://example.org/rss"}),
    )
    every = forms.CharField(
        label="Check every",
        initial="1h",
        max_length=20,
        help_text="30m, 1h, 1d, 1w (at least 1 minute).",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@case_view(Permission.VIEW)
def watch_inbox(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Sources and inbox; POST adds a source (import permission)."""
    form = SourceForm()
    status = 200
    if request.method == "POST":
        if not access.allows(Permission.IMPORT):
            return _page(
                request,
                access,
                None,
                status=403,
                refused="Your role in this case does not allow adding watched sources.",
            )
        form = SourceForm(request.POST)
        if form.is_valid():
            try:
                source = service.add_source(
                    access.case,
                    form.cleaned_data["url"],
                    every=form.cleaned_data["every"],
                    user=request.user,
                    actor=actor_label(request.user),
                )
            except UserError as exc:
                form.add_error("url", str(exc))
            else:
                messages.success(
                    request,
                    f"Watching {source.url}; the worker checks it now and "
                    f"then every {service.format_every(source.every)}.",
                )
                return redirect("watch-inbox", access.case.slug)
        status = 400
    return _page(request, access, form, status=status)


def _page(
    request: HttpRequest,
    access: CaseAccess,
    form: SourceForm | None,
    status: int = 200,
    refused: str = "",
) -> HttpResponse:
    sources = list(WatchedSource.objects.filter(case=access.case).order_by("next_due", "pk"))
    entries = WatchEntry.objects.filter(source__case=access.case).select_related(
        "source", "capture"
    )
    if request.GET.get("show") != "all":
        entries = entries.exclude(status=EntryStatus.READ)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {
        "access": access,
        "case": access.case,
        "can": access.can,
        "form": form if access.allows(Permission.IMPORT) else None,
        "refused": refused,
        "sources": [(s, service.format_every(s.every)) for s in sources],
        "page": page,
        "entries": [(e, _named_matches(access, e.matches)) for e in rows],
        "show_all": request.GET.get("show") == "all",
        "can_mark": access.allows(Permission.EDIT) or access.allows(Permission.IMPORT),
        "nav": "cases",
    }
    return render(request, "vestige/watch/inbox.html", context, status=status)


def _named_matches(access: CaseAccess, matches: dict[str, Any]) -> dict[str, list[Any]]:
    """The matched records themselves (only those the case can see)."""
    case = access.case
    return {
        "incidents": list(Incident.objects.filter(case=case, pk__in=matches.get("incidents", []))),
        "actors": list(Actor.objects.filter(case=case, pk__in=matches.get("actors", []))),
        "places": list(
            Place.objects.filter(
                Q(case__isnull=True) | Q(case=case), pk__in=matches.get("places", [])
            )
        ),
    }


@require_POST
@case_view(Permission.VIEW)
def watch_mark_read(request: HttpRequest, access: CaseAccess, entry_id: int) -> HttpResponseBase:
    """Mark one inbox entry read (members who may edit or import)."""
    if not (access.allows(Permission.EDIT) or access.allows(Permission.IMPORT)):
        return _page(
            request,
            access,
            None,
            status=403,
            refused="Your role in this case does not allow changing the inbox.",
        )
    entry = get_object_or_404(WatchEntry, pk=entry_id, source__case=access.case)
    entry.status = EntryStatus.READ
    entry.save(update_fields=["status"])
    return redirect("watch-inbox", access.case.slug)
