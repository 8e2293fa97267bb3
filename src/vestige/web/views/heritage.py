"""The heritage pages: the site list with its map, a site's page with its condition timeline,
observations proposed (EDIT) and confirmed or rejected by a second reviewer (VERIFY), alerts,
and the before/after comparison of two images of a site.

Every view is case-scoped through ``case_view``: a non-member gets 404. Images of protected
testimony are never offered or compared for a member without REVEAL.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from PIL import Image, UnidentifiedImageError

from ...cases.roles import Permission
from ...core.errors import IntegrityError, PermissionDenied, UserError
from ...evidence.models import Item
from ...heritage import compare, services
from ...heritage.models import (
    Condition,
    HeritageAlert,
    HeritageSite,
    Observation,
    SiteType,
)
from ...protection.access import is_protected
from ..access import CaseAccess, case_view
from ..middleware import EXTRA_IMAGE_SOURCES, tile_origin
from .files import store


def _context(access: CaseAccess, **extra: Any) -> dict[str, Any]:
    return {"access": access, "case": access.case, "can": access.can, "nav": "cases",
            "section": "heritage", "disclaimer": compare.DISCLAIMER, **extra}


def _site(access: CaseAccess, pk: int) -> HeritageSite:
    return get_object_or_404(HeritageSite, case=access.case, pk=pk)


def _item_ids(text: str) -> list[str]:
    """Item ids typed one per line (or separated by spaces or commas)."""
    ids = [part for part in text.replace(",", " ").split() if part]
    for value in ids:
        try:
            uuid.UUID(value)
        except ValueError as exc:
            raise UserError(f"{value!r} is not an item id") from exc
    return ids


class SiteForm(forms.Form):
    name = forms.CharField(max_length=300)
    site_type = forms.ChoiceField(label="Type", choices=SiteType.choices)
    period = forms.CharField(max_length=200, required=False)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180)
    names = forms.CharField(
        label="Other names", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line as language code, colon, name — e.g. hy: Ղազանչեցոց",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    items = forms.CharField(
        label="Photographs and baseline imagery", required=False,
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Item ids, one per line",
    )


class ObservationForm(forms.Form):
    date = forms.CharField(
        label="Observed", max_length=64,
        help_text="EDTF: 2023-10-04, 2023-10, or an interval 2023-09-19/2023-10-05",
    )
    condition = forms.ChoiceField(choices=Condition.choices)
    items = forms.CharField(
        label="Evidence", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Item ids (satellite images, photographs), one per line",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _name_specs(text: str) -> list[services.NameSpec]:
    specs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        language, sep, name = line.partition(":")
        if not sep or len(language.strip()) > 35:
            specs.append(services.NameSpec(line.strip()))
        else:
            specs.append(services.NameSpec(name.strip(), language.strip()))
    return specs


# ---------------------------------------------------------------- list and map


@require_safe
@case_view(Permission.VIEW)
def site_list(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """The case's sites with their current condition, open alerts and a map."""
    sites = list(HeritageSite.objects.filter(case=access.case).prefetch_related("names"))
    alerts = HeritageAlert.objects.filter(
        case=access.case, acknowledged_at__isnull=True
    ).select_related("site", "observation")
    tile_url = settings.MAP_TILE_URL
    context = _context(
        access, sites=sites, alerts=alerts, located=sum(s.latitude is not None for s in sites),
        data_url=reverse("heritage-map-data", args=[access.case.slug]), tile_url=tile_url,
        attribution="© OpenStreetMap contributors" if "openstreetmap" in tile_url else "",
        conditions=[c for c in Condition], form=SiteForm() if access.allows(Permission.EDIT)
        else None,
    )
    response = render(request, "vestige/heritage/site_list.html", context)
    origin = tile_origin(tile_url)
    if origin:
        setattr(response, EXTRA_IMAGE_SOURCES, [origin])
    return response


@require_safe
@case_view(Permission.VIEW)
def site_map_data(request: HttpRequest, access: CaseAccess) -> JsonResponse:
    """The map's points: one per located site, with its current condition."""
    slug = access.case.slug
    points = [
        {
            "lat": site.latitude, "lon": site.longitude, "name": site.name,
            "type": site.get_site_type_display(), "condition": site.condition,
            "condition_label": site.get_condition_display(),
            "url": reverse("heritage-site", args=[slug, site.pk]),
        }
        for site in HeritageSite.objects.filter(
            case=access.case, latitude__isnull=False, longitude__isnull=False
        )
    ]
    return JsonResponse({"points": points})


@case_view(Permission.EDIT)
def site_create(request: HttpRequest, access: CaseAccess) -> HttpResponse:
    """Add a site (EDIT)."""
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            site = services.create_site(
                access.case, data["name"], site_type=data["site_type"], period=data["period"],
                description=data["description"], latitude=data["latitude"],
                longitude=data["longitude"], names=_name_specs(data["names"]),
                item_ids=_item_ids(data["items"]), user=request.user,
            )
        except UserError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Heritage site {site.name!r} added.")
            return redirect("heritage-site", access.case.slug, site.pk)
    return render(request, "vestige/heritage/site_form.html", _context(access, form=form),
                  status=400 if request.method == "POST" else 200)


# ---------------------------------------------------------------- a site


def _visible(access: CaseAccess, items: Any) -> list[Item]:
    """The items this member may see (protected testimony hidden without REVEAL)."""
    if access.allows(Permission.REVEAL):
        return list(items)
    return [item for item in items if not is_protected(item)]


def _site_images(access: CaseAccess, site: HeritageSite) -> list[Item]:
    """Images of the site: its own photographs and the evidence of its observations."""
    items = Item.objects.filter(
        Q(heritage_sites=site) | Q(heritage_observations__site=site), case=access.case,
        media_type__startswith="image/",
    ).distinct().order_by("claimed_date", "captured_at")
    return _visible(access, items)


@require_safe
@case_view(Permission.VIEW)
def site_detail(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """The site: names, current condition, timeline of observations, evidence and alerts."""
    site = _site(access, pk)
    observations = list(
        site.observations.prefetch_related("items").order_by("date_lower", "date_upper", "pk")
    )
    for observation in observations:
        observation.visible_items = _visible(access, observation.items.all())  # type: ignore[attr-defined]
    return render(request, "vestige/heritage/site_detail.html", _context(
        access, site=site, names=site.names.all(), observations=observations,
        current=services.current_observation(site),
        items=_visible(access, site.items.all()), alerts=site.alerts.all(),
        images=_site_images(access, site),
        form=ObservationForm() if access.allows(Permission.EDIT) else None,
        site_form=SiteForm() if access.allows(Permission.EDIT) else None,
    ))


@require_POST
@case_view(Permission.EDIT)
def observation_create(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Propose an observation (EDIT); it changes nothing until a second reviewer confirms."""
    site = _site(access, pk)
    form = ObservationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.propose_observation(
                site, date=data["date"], condition=data["condition"],
                item_ids=_item_ids(data["items"]), note=data["note"], user=request.user,
            )
        except UserError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Observation proposed: a second reviewer must confirm it "
                                      "before the site's condition changes.")
    else:
        messages.error(request, "The observation needs a date and a condition.")
    return redirect("heritage-site", access.case.slug, site.pk)


@require_POST
@case_view(Permission.EDIT)
def site_items(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Link photographs or baseline imagery to the site (EDIT)."""
    site = _site(access, pk)
    try:
        added = services.link_items(site, _item_ids(request.POST.get("items", "")), request.user)
    except UserError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{added} item{'s' if added != 1 else ''} linked.")
    return redirect("heritage-site", access.case.slug, site.pk)


@require_POST
@case_view(Permission.VERIFY)
def observation_review(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Confirm or reject an observation as the second reviewer (VERIFY, not the observer)."""
    observation = get_object_or_404(Observation, case=access.case, pk=pk)
    action = request.POST.get("action")
    note = request.POST.get("note", "")
    try:
        if action == "confirm":
            alert = services.confirm(observation, request.user, note=note)
            messages.success(request, "Observation confirmed." + (
                f" The condition worsened ({alert.from_condition} → {alert.to_condition}): "
                "an alert was raised." if alert else ""))
        elif action == "reject":
            services.reject(observation, request.user, note=note)
            messages.success(request, "Observation rejected.")
        else:
            raise UserError("choose confirm or reject")
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc)) from exc
    except UserError as exc:
        messages.error(request, str(exc))
    return redirect("heritage-site", access.case.slug, observation.site_id)


@require_POST
@case_view(Permission.VERIFY)
def alert_acknowledge(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Mark an alert as seen."""
    alert = get_object_or_404(HeritageAlert, case=access.case, pk=pk)
    services.acknowledge(alert, request.user)
    messages.success(request, "Alert acknowledged.")
    return redirect("heritage-site", access.case.slug, alert.site_id)


# ---------------------------------------------------------------- before/after


def _pair(request: HttpRequest, access: CaseAccess, site: HeritageSite
          ) -> tuple[list[Item], Item | None, Item | None]:
    """The site's images and the two chosen (?before=&after=), each checked to be one of them."""
    images = _site_images(access, site)
    by_id = {str(item.pk): item for item in images}
    chosen: list[Item | None] = []
    for key, default in (("before", 0), ("after", -1)):
        value = request.GET.get(key)
        if value:
            if value not in by_id:
                raise Http404("That image is not one of this site's.")
            chosen.append(by_id[value])
        else:
            chosen.append(images[default] if len(images) >= 2 else None)
    return images, chosen[0], chosen[1]


def _compare(before: Item, after: Item) -> tuple[compare.Comparison, bytes]:
    blobs = store()
    for item in (before, after):
        if not blobs.exists(item.sha256):
            raise UserError(f"the original of {item.title or item.pk} is missing from the store")
    try:
        return compare.compare(blobs.open_verified(before.sha256),
                               blobs.open_verified(after.sha256))
    except IntegrityError as exc:
        raise UserError(f"an original failed its hash check: {exc}") from exc
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as exc:
        raise UserError(f"the images could not be read as pictures ({exc})") from exc


@require_safe
@case_view(Permission.VIEW)
def site_compare(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponse:
    """Two images side by side, a swipe view, the difference map and the change score."""
    site = _site(access, pk)
    images, before, after = _pair(request, access, site)
    result, problem = None, ""
    if before is not None and after is not None:
        try:
            result, _ = _compare(before, after)
        except UserError as exc:
            problem = str(exc)
    image_url = ""
    if before is not None and after is not None:
        image_url = (reverse("heritage-compare-image", args=[access.case.slug, site.pk])
                     + f"?before={before.pk}&after={after.pk}")
    return render(request, "vestige/heritage/compare.html", _context(
        access, site=site, images=images, before=before, after=after, result=result,
        problem=problem, image_url=image_url,
        percent=round(result.score * 100, 1) if result else None,
    ))


@require_safe
@case_view(Permission.VIEW)
def site_compare_image(request: HttpRequest, access: CaseAccess, pk: int) -> HttpResponseBase:
    """The difference map as PNG, computed on request from the verified originals."""
    site = _site(access, pk)
    _, before, after = _pair(request, access, site)
    if before is None or after is None:
        raise Http404("Choose two images of this site.")
    try:
        _, png = _compare(before, after)
    except UserError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=300"
    return response

