"""Ceasefire agreements as data, incidents linked as alleged violations, the pages, the demo."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from tests.registry_fixtures import officer
from vestige.agreements import catalogue
from vestige.agreements.models import ViolationAllegation
from vestige.agreements.services import allege_violation
from vestige.cases.graph import Claim, Edit, Incident
from vestige.cases.services import set_member
from vestige.core.errors import UserError
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.protection import services as protection

TEXT = "Report. The road through the corridor was closed by a checkpoint on 23 April 2023.\n"
WITNESS = "I am the witness. My cousin's lorry was turned back at the bridge.\n"
P6 = "trilateral-2020-11-10.p6"
P1 = "trilateral-2020-11-10.p1"


# ---------------------------------------------------------------- the data


def test_the_two_agreements_are_there_with_stable_ids() -> None:
    found = {a.id: a for a in catalogue.load_all()}
    assert set(found) == {"trilateral-2020-11-10", "cessation-2023-09-20"}
    statement = found["trilateral-2020-11-10"]
    assert [p.number for p in statement.provisions] == [str(n) for n in range(1, 10)]
    assert [p.id for p in statement.provisions] == [
        f"trilateral-2020-11-10.p{n}" for n in range(1, 10)
    ]
    assert str(statement.date) == "2020-11-10"
    assert found["cessation-2023-09-20"].mediator.startswith("Command of the Russian")
    assert catalogue.get_provision(P6).agreement_id == "trilateral-2020-11-10"


def test_every_provision_has_text_a_named_source_and_a_fidelity_marker() -> None:
    for agreement in catalogue.load_all():
        for provision in agreement.provisions:
            assert len(provision.text) > 20, provision.id
            assert provision.source.title and provision.source.version, provision.id
            assert provision.fidelity in {"quoted", "quoted_fragment", "paraphrase"}
            if not provision.is_paraphrase:  # a quotation must say where it was checked
                assert provision.source.url.startswith("https://"), provision.id
                assert "checked" in provision.source.notes, provision.id


def test_checked_points_are_quoted_and_unchecked_ones_marked_paraphrase() -> None:
    statement = catalogue.get_agreement("trilateral-2020-11-10")
    p1 = statement.provision(P1)
    assert p1.fidelity == "quoted"
    assert "a complete ceasefire and cessation of all military operations" in p1.text
    assert statement.provision(P6).is_paraphrase  # only its first sentence was seen
    assert all(p.is_paraphrase for p in catalogue.get_agreement("cessation-2023-09-20").provisions)


def test_a_broken_file_is_refused_naming_the_file_and_field(tmp_path: Path) -> None:
    shutil.copy(catalogue.FOLDER / "cessation-2023-09-20.yaml", tmp_path)
    path = tmp_path / "cessation-2023-09-20.yaml"
    document = yaml.safe_load(path.read_text())
    document["provisions"][1]["fidelity"] = "verbatim-ish"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    with pytest.raises(catalogue.AgreementDataError, match=r"provisions\[1\]\.fidelity"):
        catalogue.load_all(tmp_path)
    document["provisions"][1]["fidelity"] = "paraphrase"
    document["provisions"][1]["id"] = "other.p2"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    with pytest.raises(catalogue.AgreementDataError, match=r"provisions\[1\]\.id"):
        catalogue.load_all(tmp_path)


# ---------------------------------------------------------------- linking


@pytest.fixture
def linked(case: Any, user: Any, make_files: Any, django_user_model: Any) -> dict[str, Any]:
    """A blockade incident with a public claim and a claim from a protected witness."""
    summary = Importer(case, actor="amira", user=user, workers=1).run(
        [make_files({"report.txt": TEXT.encode(), "witness.txt": WITNESS.encode()}, "files")]
    )
    assert summary.ok
    report = Item.objects.get(case=case, title="report.txt")
    witness_item = Item.objects.get(case=case, title="witness.txt")
    incident = Incident.objects.create(case=case, title="Checkpoint", date="2023-04-23")
    other = Incident.objects.create(case=case, title="Shelling", date="2023-09-19")
    public = Claim.objects.create(case=case, item=report, text="closed by a checkpoint")
    secret = Claim.objects.create(case=case, item=witness_item, text="turned back at the bridge")
    for claim in (public, secret):
        claim.incidents.add(incident)
    olga = officer(case, django_user_model)
    person = protection.create_person(
        case, user=olga, identity={"given_name": "Ani", "family_name": "K"}, roles=["witness"]
    )
    protection.link_item(person, witness_item, "testimony", olga)
    return {"incident": incident, "other": other, "public": public, "secret": secret}


def test_linking_keeps_history_and_refuses_bad_links(
    case: Any, user: Any, linked: dict[str, Any]
) -> None:
    incident = linked["incident"]
    allegation = allege_violation(
        incident, P6, user, note="checkpoint on the corridor", claims=[linked["public"]]
    )
    assert allegation.agreement_id == "trilateral-2020-11-10"
    assert list(allegation.claims.all()) == [linked["public"]]
    edits = list(
        Edit.objects.filter(model="agreements.ViolationAllegation", object_id=str(allegation.pk))
        .order_by("pk")
    )
    assert [e.action for e in edits] == ["create", "update"]  # made, then its sources attached
    assert edits[-1].after["claims"] == [linked["public"].pk]
    with pytest.raises(UserError, match="already linked"):
        allege_violation(incident, P6, user)
    with pytest.raises(UserError, match="no agreement provision"):
        allege_violation(incident, "trilateral-2020-11-10.p99", user)
    assert ViolationAllegation.objects.count() == 1


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_agreement_page_counts_per_provision_with_sources(
    case: Any, user: Any, linked: dict[str, Any], django_user_model: Any
) -> None:
    allege_violation(linked["incident"], P6, user, claims=[linked["public"], linked["secret"]])
    allege_violation(linked["other"], P1, user)
    allege_violation(linked["other"], P6, user, note="second")
    url = reverse("agreement-detail", args=[case.slug, "trilateral-2020-11-10"])
    page = _client(user).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-provision="{P6}" data-count="2"' in html
    assert f'data-provision="{P1}" data-count="1"' in html
    assert 'data-provision="trilateral-2020-11-10.p2" data-count="0"' in html
    assert "Paraphrase — check against the source" in html
    assert "a complete ceasefire and cessation of all military operations" in html
    assert "closed by a checkpoint" in html
    # the owner holds no REVEAL: the protected witness's claim is not shown
    assert "turned back at the bridge" not in html
    assert '<svg class="timeline-chart"' in html and html.count('class="timeline-row"') == 2
    olga = django_user_model.objects.get(username="olga")
    assert "turned back at the bridge" in _client(olga).get(url).content.decode()
    listing = _client(user).get(reverse("agreement-list", args=[case.slug])).content.decode()
    assert 'data-agreement="trilateral-2020-11-10"' in listing
    assert "<td data-count>3</td>" in listing


def test_pages_are_for_members_only_and_linking_needs_edit(
    case: Any, user: Any, outsider: Any, linked: dict[str, Any], django_user_model: Any
) -> None:
    incident = linked["incident"]
    urls = [
        reverse("agreement-list", args=[case.slug]),
        reverse("agreement-detail", args=[case.slug, "trilateral-2020-11-10"]),
        reverse("incident-detail", args=[case.slug, incident.pk]),
    ]
    stranger = _client(outsider)
    for url in urls:
        assert stranger.get(url).status_code == 404
    allege = reverse("incident-allege", args=[case.slug, incident.pk])
    assert stranger.post(allege, {"provision": P6}).status_code == 404
    viewer = django_user_model.objects.create_user(username="vera", password="x-pass-9")
    set_member(case.slug, "vera", "viewer")
    as_viewer = _client(viewer)
    assert all(as_viewer.get(url).status_code == 200 for url in urls)
    assert 'action="' + allege not in as_viewer.get(urls[2]).content.decode()
    assert as_viewer.post(allege, {"provision": P6}).status_code == 403
    missing = reverse("agreement-detail", args=[case.slug, "no-such-agreement"])
    assert _client(user).get(missing).status_code == 404
    assert not ViolationAllegation.objects.exists()


def test_the_incident_page_form_links_with_visible_claims_only(
    case: Any, user: Any, linked: dict[str, Any]
) -> None:
    incident = linked["incident"]
    client = _client(user)
    page = client.get(reverse("incident-detail", args=[case.slug, incident.pk])).content.decode()
    allege = reverse("incident-allege", args=[case.slug, incident.pk])
    assert f'action="{allege}"' in page
    assert f'value="{linked["public"].pk}"' in page
    assert "turned back at the bridge" not in page
    response = client.post(allege, {"provision": P6, "note": "n", "claims": [linked["secret"].pk]})
    assert response.status_code == 302
    assert not ViolationAllegation.objects.exists()  # a claim the user may not see is refused
    response = client.post(allege, {"provision": P6, "note": "n", "claims": [linked["public"].pk]})
    assert response.status_code == 302
    allegation = ViolationAllegation.objects.get()
    assert list(allegation.claims.all()) == [linked["public"]]
    page = client.get(reverse("incident-detail", args=[case.slug, incident.pk])).content.decode()
    assert f'data-provision="{P6}"' in page and "Alleged violation of" in page
    history = client.get(reverse("case-history", args=[case.slug])).content.decode()
    assert "ViolationAllegation" in history, history[:3000]


# ---------------------------------------------------------------- the demo


def test_the_demo_links_incidents_as_allegations_once(settings: Any, tmp_path: Path,
                                                      django_user_model: Any) -> None:
    from vestige.demo.loader import DEMO_SLUG, load_demo

    settings.DATA_DIR = tmp_path / "data"
    django_user_model.objects.create_user(username="admin", password="correct-horse-9")
    summary = load_demo(owner="admin", actor="t")
    assert "as allegations" in summary
    links = {a.provision_id: a for a in ViolationAllegation.objects.filter(case__slug=DEMO_SLUG)}
    assert set(links) == {P6, P1}
    assert links[P6].incident.title == "Blockade of the Lachin corridor"
    assert links[P6].note.startswith("DEMONSTRATION") and "alleged" in links[P6].note
    assert links[P6].claims.exists()
    load_demo(owner="admin", actor="t")
    assert ViolationAllegation.objects.filter(case__slug=DEMO_SLUG).count() == 2


# ---------------------------------------------------------------- the CLI


def test_cli_lists_the_agreements(cli_env: dict[str, str]) -> None:
    import json

    from .conftest import vestige

    result = vestige(["agreements", "list", "--json"], cli_env)
    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)["agreements"]}
    assert rows["trilateral-2020-11-10"]["provisions"] == 9
    assert rows["trilateral-2020-11-10"]["paraphrased"] == 4
    assert rows["cessation-2023-09-20"]["paraphrased"] == 4
    missing = vestige(["agreements", "list", "--case", "nope"], cli_env)
    assert missing.returncode != 0 and "no case 'nope'" in missing.stderr
