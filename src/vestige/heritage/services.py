"""Changing heritage records: every change kept in the case's history, every condition change
agreed by a second reviewer.

The rule heritage monitors follow: one person proposes an observation ("the dome is gone",
with the satellite image), a second person with the VERIFY permission — never the observer —
confirms or rejects it. Only confirmed observations move the site's condition, and a confirmed
worsening raises an alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..cases.access import role_in
from ..cases.graph import Place
from ..cases.history import record_change, save_with_history, snapshot
from ..cases.models import Case
from ..cases.roles import Permission, allows
from ..core.edtf import is_edtf
from ..core.errors import PermissionDenied, UserError
from ..evidence.custody import actor_label
from ..evidence.models import Item
from .models import (
    Condition,
    HeritageAlert,
    HeritageSite,
    Observation,
    ObservationStatus,
    SiteName,
    SiteType,
    worsens,
)


@dataclass(frozen=True)
class NameSpec:
    """One name of a site: the text and its language code (hy, az, ru, en…)."""

    name: str
    language: str = ""


def _items_of(case: Case, item_ids: Iterable[Any]) -> list[Item]:
    """The items ``item_ids`` of ``case``; an id of another case is an error, not ignored."""
    wanted = {str(i) for i in item_ids if str(i).strip()}
    if not wanted:
        return []
    items = list(Item.objects.filter(case=case, pk__in=wanted))
    missing = wanted - {str(item.pk) for item in items}
    if missing:
        raise UserError(f"no item {sorted(missing)[0]} in case {case.slug!r}")
    return items


def _check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if (latitude is None) != (longitude is None):
        raise UserError("give both latitude and longitude, or neither")
    if latitude is not None and not -90 <= latitude <= 90:
        raise UserError(f"latitude {latitude} is outside -90..90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise UserError(f"longitude {longitude} is outside -180..180")


def create_site(
    case: Case,
    name: str,
    *,
    site_type: str = SiteType.OTHER,
    period: str = "",
    description: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    place: Place | None = None,
    names: Sequence[NameSpec] = (),
    item_ids: Iterable[Any] = (),
    user: Any = None,
    label: str | None = None,
) -> HeritageSite:
    """A new site with its names and images; UserError for a bad type, coordinate or item."""
    name = name.strip()
    if not name:
        raise UserError("a heritage site needs a name")
    if site_type not in SiteType.values:
        raise UserError(f"unknown site type {site_type!r}; use one of {', '.join(SiteType.values)}")
    _check_coordinates(latitude, longitude)
    if place is not None and place.case_id not in (None, case.pk):
        raise UserError("the place belongs to another case")
    if HeritageSite.objects.filter(case=case, name=name).exists():
        raise UserError(f"case {case.slug!r} already has a heritage site named {name!r}")
    items = _items_of(case, item_ids)
    with transaction.atomic():
        site = HeritageSite(
            case=case, name=name, site_type=site_type, period=period.strip(),
            description=description.strip(), latitude=latitude, longitude=longitude,
            place=place, created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        save_with_history(site, user, label=label)
        for spec in [NameSpec(name), *names]:
            add_name(site, spec.name, spec.language)
        if items:
            before = snapshot(site)
            site.items.add(*items)
            record_change(site, user, before, label=label)
    return site


def add_name(site: HeritageSite, name: str, language: str = "") -> SiteName:
    """Add a name (once per language); the script is detected from the text."""
    name = name.strip()
    if not name:
        raise UserError("a name cannot be empty")
    record, _ = SiteName.objects.get_or_create(site=site, name=name, language=language.strip())
    return record


def link_items(site: HeritageSite, item_ids: Iterable[Any], user: Any, label: str | None = None
               ) -> int:
    """Add photographs or baseline imagery to a site; returns how many were new."""
    items = _items_of(site.case, item_ids)
    existing = set(site.items.values_list("pk", flat=True))
    new = [item for item in items if item.pk not in existing]
    if new:
        with transaction.atomic():
            before = snapshot(site)
            site.items.add(*new)
            record_change(site, user, before, label=label)
    return len(new)


def propose_observation(
    site: HeritageSite,
    *,
    date: str,
    condition: str,
    item_ids: Iterable[Any] = (),
    note: str = "",
    user: Any = None,
    label: str | None = None,
) -> Observation:
    """Record what was seen; it changes nothing until a second reviewer confirms it."""
    date = date.strip()
    if not date:
        raise UserError("an observation needs the date it was made (EDTF, e.g. 2023-10 or "
                        "2023-09-19/2023-10-05)")
    if not is_edtf(date):
        raise UserError(f"{date!r} is not an EDTF date (e.g. 2023-10-04, 2023-10, "
                        "2023-09-19/2023-10-05)")
    if condition not in Condition.values:
        raise UserError(
            f"unknown condition {condition!r}; use one of {', '.join(Condition.values)}"
        )
    items = _items_of(site.case, item_ids)
    with transaction.atomic():
        observation = Observation(
            case=site.case, site=site, date=date, condition=condition, note=note.strip(),
            observer=user if getattr(user, "is_authenticated", False) else None,
            observer_label=label or actor_label(user),
        )
        save_with_history(observation, user, label=label)
        if items:
            before = snapshot(observation)
            observation.items.add(*items)
            record_change(observation, user, before, label=label)
    return observation


def _check_reviewer(observation: Observation, user: Any, label: str | None) -> str:
    """The reviewer's label, once they are shown to be a second person allowed to VERIFY."""
    if getattr(user, "is_authenticated", False):
        if not allows(role_in(user, observation.case) or "", Permission.VERIFY):
            raise PermissionDenied(
                "confirming or rejecting an observation needs the verify permission"
            )
        if observation.observer_id is not None and observation.observer_id == user.pk:
            raise PermissionDenied(
                "a second reviewer must confirm an observation: you made this one"
            )
        reviewer = label or actor_label(user)
    elif label:
        reviewer = label  # a named process (the demo loader), never an anonymous request
    else:
        raise PermissionDenied("an anonymous user cannot review observations")
    if observation.observer_id is None and reviewer == observation.observer_label:
        raise PermissionDenied("a second reviewer must confirm an observation: "
                               f"{reviewer!r} made this one")
    if observation.status != ObservationStatus.PROPOSED:
        raise UserError(f"this observation was already {observation.status}")
    return reviewer


def confirmed(site: HeritageSite) -> Any:
    """The site's confirmed observations, latest first (by observed date, then review)."""
    return site.observations.filter(status=ObservationStatus.CONFIRMED).order_by(
        F("date_lower").desc(nulls_last=True), F("date_upper").desc(nulls_last=True),
        F("reviewed_at").desc(nulls_last=True), "-pk",
    )


def current_observation(site: HeritageSite) -> Observation | None:
    """The latest confirmed observation: the one that says what the site's condition is."""
    return confirmed(site).first()


def _last_known(site: HeritageSite) -> Observation | None:
    """The latest confirmed observation with a known condition ("unknown" is neutral)."""
    return confirmed(site).exclude(
        condition=Condition.UNKNOWN
    ).first()


def refresh_condition(site: HeritageSite) -> str:
    """Set the site's stored condition from its latest confirmed observation."""
    latest = current_observation(site)
    condition = latest.condition if latest is not None else Condition.UNKNOWN
    if site.condition != condition:
        HeritageSite.objects.filter(pk=site.pk).update(condition=condition)
        site.condition = condition
    return condition


def confirm(
    observation: Observation, user: Any, *, note: str = "", label: str | None = None
) -> HeritageAlert | None:
    """Confirm as the second reviewer; returns the alert when the site's condition worsened."""
    with transaction.atomic():
        observation = Observation.objects.select_for_update().get(pk=observation.pk)
        reviewer = _check_reviewer(observation, user, label)
        site = observation.site
        before = _last_known(site)
        observation.status = ObservationStatus.CONFIRMED
        observation.reviewed_by = user if getattr(user, "is_authenticated", False) else None
        observation.reviewed_by_label = reviewer
        observation.reviewed_at = timezone.now()
        observation.review_note = note.strip()
        save_with_history(observation, user, label=reviewer)
        refresh_condition(site)
        after = _last_known(site)
        if (
            before is not None and after is not None and after.pk == observation.pk
            and worsens(before.condition, observation.condition)
        ):
            return HeritageAlert.objects.create(
                case=site.case, site=site, observation=observation,
                from_condition=before.condition, to_condition=observation.condition,
            )
    return None


def reject(observation: Observation, user: Any, *, note: str = "", label: str | None = None
           ) -> Observation:
    """Reject as the second reviewer: the observation stays on record but changes nothing."""
    with transaction.atomic():
        observation = Observation.objects.select_for_update().get(pk=observation.pk)
        reviewer = _check_reviewer(observation, user, label)
        observation.status = ObservationStatus.REJECTED
        observation.reviewed_by = user if getattr(user, "is_authenticated", False) else None
        observation.reviewed_by_label = reviewer
        observation.reviewed_at = timezone.now()
        observation.review_note = note.strip()
        save_with_history(observation, user, label=reviewer)
    return observation


def acknowledge(alert: HeritageAlert, user: Any) -> HeritageAlert:
    """Mark an alert as seen (by someone allowed to VERIFY)."""
    if not allows(role_in(user, alert.case) or "", Permission.VERIFY):
        raise PermissionDenied("acknowledging an alert needs the verify permission")
    if alert.acknowledged_at is None:
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    return alert
