"""Every edit to the case graph is kept: who, when, before and after."""

from __future__ import annotations

from typing import Any

import pytest

from vestige.cases.graph import Edit, Incident, Place
from vestige.cases.history import delete_with_history, record_change, save_with_history
from vestige.core.errors import UserError

pytestmark = pytest.mark.django_db


def test_create_update_delete_are_kept(case: Any, user: Any) -> None:
    incident = Incident(case=case, title="Shelling of the market", date="2020-10")
    save_with_history(incident, user)
    assert (incident.date_lower.isoformat(), incident.date_upper.isoformat()) == (
        "2020-10-01", "2020-10-31"
    )
    incident.title = "Shelling of the central market"
    incident.date = "2020-10-04"
    save_with_history(incident, user)
    edits = list(Edit.objects.filter(object_id=str(incident.pk)).order_by("id"))
    assert [e.action for e in edits] == ["create", "update"]
    assert edits[0].before is None and edits[0].after["title"] == "Shelling of the market"
    assert edits[1].before["title"] == "Shelling of the market"
    assert edits[1].after["title"] == "Shelling of the central market"
    assert edits[1].before["date"] == "2020-10" and edits[1].after["date"] == "2020-10-04"
    assert edits[1].user == user and edits[1].actor_label == "amira"
    place = Place.objects.create(name="Ganja", case=case)
    before = {"places": []}
    incident.places.add(place)
    record_change(incident, user, before)
    latest = Edit.objects.filter(object_id=str(incident.pk)).order_by("id").last()
    assert latest.after["places"] == [place.pk]
    delete_with_history(incident, user)
    last = Edit.objects.filter(object_id=str(edits[0].object_id)).order_by("id").last()
    assert last.action == "delete" and last.after is None
    assert last.before["title"] == "Shelling of the central market"


def test_a_bad_date_is_a_clear_error(case: Any, user: Any) -> None:
    with pytest.raises(UserError, match="not an EDTF date"):
        save_with_history(Incident(case=case, title="x", date="last autumn"), user)
    assert not Edit.objects.exists()
