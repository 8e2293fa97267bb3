"""The law as data, characterisations, liability links and proof charts (web, CLI, demo)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from vestige.cases.graph import Actor, Claim, Edit, Incident
from vestige.cases.services import set_member
from vestige.core.errors import UserError
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.law import catalogue, proofchart, services
from vestige.law.models import Characterisation, ElementAssessment

from .conftest import vestige

TEXT = (
    "Report. From December 2022 the road was closed by a checkpoint. Shortages of food and "
    "medicine were reported. The commander ordered that no convoy pass.\n"
)


def _claim(case: Any, item: Item, phrase: str, incident: Incident) -> Claim:
    start = TEXT.index(phrase)
    claim = Claim.objects.create(
        case=case, item=item, text=phrase, anchor={"start": start, "end": start + len(phrase)}
    )
    claim.incidents.add(incident)
    return claim


@pytest.fixture
def law(case: Any, user: Any, make_files: Any) -> dict[str, Any]:
    """A case with an incident, an actor, an item and three claims."""
    summary = Importer(case, actor="amira", user=user, workers=1).run(
        [make_files({"report.txt": TEXT.encode()}, "reports")]
    )
    assert summary.ok
    item = Item.objects.get(case=case, title="report.txt")
    incident = Incident.objects.create(
        case=case, title="Blockade", date="2022-12/2023-09", conflict_type="international"
    )
    actor = Actor.objects.create(case=case, name="Commander X", kind="person")
    return {
        "case": case,
        "item": item,
        "incident": incident,
        "actor": actor,
        "checkpoint": _claim(case, item, "the road was closed by a checkpoint", incident),
        "shortages": _claim(case, item, "Shortages of food and medicine were reported", incident),
        "order": _claim(case, item, "The commander ordered that no convoy pass", incident),
    }


# ---------------------------------------------------------------- the data


def test_every_data_file_follows_the_schema_and_names_its_source() -> None:
    names = catalogue.check_all()
    assert {
        "rome_statute_crimes",
        "rome_statute_liability",
        "us_sanctions",
        "eu_global_human_rights",
        "uk_global_human_rights",
    } <= set(names)
    for framework in catalogue.frameworks():
        assert framework.sources
        for source in framework.sources:
            assert source.url.startswith("https://") and source.version and source.title
        for provision in framework.provisions:
            assert provision.elements, provision.id
            for element in provision.elements:
                assert element.id.startswith(provision.id + ".")
                assert element.text.strip() and element.kind in catalogue.ELEMENT_KINDS
                assert provision.source.url
                if element.fidelity == "paraphrase":
                    assert "check against the source" in element.text.lower()


def test_the_crimes_the_case_raises_are_there_with_the_official_wording() -> None:
    for ident in (
        "rome.art6.a",
        "rome.art6.b",
        "rome.art6.c",
        "rome.art7.1.a",
        "rome.art7.1.d",
        "rome.art7.1.h",
        "rome.art8.2.a.i",
        "rome.art8.2.b.ix",
        "rome.art8.2.b.xxv",
        "rome.art8.2.c.i-1",
        "rome.art8.2.e.iv",
    ):
        assert catalogue.provision(ident).kind == "crimes"
    starvation = catalogue.provision("rome.art8.2.b.xxv")
    assert [e.kind for e in starvation.elements] == [
        "conduct",
        "mental",
        "contextual",
        "contextual",
    ]
    assert starvation.elements[0].text == (
        "The perpetrator deprived civilians of objects indispensable to their survival."
    )
    assert "Elements of Crimes" in starvation.source.title and "2013" in starvation.source.version
    modes = {p.number for p in catalogue.provisions("liability")}
    assert {
        "25(3)(a)",
        "25(3)(b)",
        "25(3)(c)",
        "25(3)(d)",
        "25(3)(e)",
        "25(3)(f)",
        "28(a)",
        "28(b)",
    } <= modes
    sanctions = {p.id for p in catalogue.provisions("sanctions")}
    assert {
        "us.eo13818.1.a.ii.a",
        "us.sfops.7031c",
        "eu.2020-1998.art2.1.c",
        "eu.2020-1998.art3.3",
        "uk.ghr2020.reg4",
        "uk.ghr2020.reg6",
    } <= sanctions
    assert "82 FR 60839" in catalogue.provision("us.eo13818.1.a.ii.a").source.version


def test_a_broken_file_is_refused_naming_the_file_and_field(tmp_path: Path) -> None:
    shutil.copy(catalogue.FOLDER / "rome_statute_crimes.yaml", tmp_path)
    path = tmp_path / "rome_statute_crimes.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("kind: mental", "kind: feeling", 1), encoding="utf-8")
    with pytest.raises(catalogue.LawDataError, match=r"rome_statute_crimes.yaml: field provisions"):
        catalogue.check_all(tmp_path)
    path.write_text(text.replace("id: rome.art6.b.e2,", "id: rome.art6.a.e2,", 1), encoding="utf-8")
    with pytest.raises(catalogue.LawDataError, match="does not start with"):
        catalogue.check_all(tmp_path)


def test_the_conflict_classification_decides_which_crimes_are_offered() -> None:
    international = {p.id for p in catalogue.crimes_offered("international")}
    internal = {p.id for p in catalogue.crimes_offered("non_international")}
    assert "rome.art8.2.b.ix" in international and "rome.art8.2.b.ix" not in internal
    assert "rome.art8.2.e.iv" in internal and "rome.art8.2.e.iv" not in international
    assert "rome.art8.2.c.i-1" in internal and "rome.art8.2.a.i" not in internal
    assert "rome.art7.1.a" in international & internal
    unknown = {p.id for p in catalogue.crimes_offered("unknown")}
    assert unknown == {p.id for p in catalogue.crimes_offered("none")}
    assert not any(i.startswith("rome.art8") for i in unknown)


# ---------------------------------------------------------------- characterisation


@pytest.mark.django_db
def test_characterising_makes_every_element_unsupported_and_keeps_history(
    law: dict[str, Any], user: Any
) -> None:
    record = services.characterise(law["incident"], "rome.art8.2.b.xxv", "international", user)
    assessments = ElementAssessment.objects.filter(characterisation=record)
    assert sorted(a.element_id for a in assessments) == [
        f"rome.art8.2.b.xxv.e{n}" for n in range(1, 5)
    ]
    assert {a.status for a in assessments} == {"unsupported"}
    assert Edit.objects.filter(
        case=law["case"], model="law.Characterisation", object_id=str(record.pk), action="create"
    ).exists()
    with pytest.raises(UserError, match="non-international"):
        services.characterise(law["incident"], "rome.art8.2.b.ix", "non_international", user)
    with pytest.raises(UserError, match="already characterised"):
        services.characterise(law["incident"], "rome.art8.2.b.xxv", "international", user)
    with pytest.raises(UserError, match="not a crime"):
        services.characterise(law["incident"], "rome.art25.3.a", "international", user)
    internal = services.characterise(law["incident"], "rome.art8.2.e.iv", "non_international", user)
    assert internal.conflict_type == "non_international"


@pytest.mark.django_db
def test_assessing_an_element_links_claims_and_records_before_and_after(
    law: dict[str, Any], user: Any, case: Any
) -> None:
    record = services.characterise(law["incident"], "rome.art8.2.b.xxv", "international", user)
    first = record.assessments.get(element_id="rome.art8.2.b.xxv.e1")
    with pytest.raises(UserError, match="at least one claim"):
        services.assess(first, "supported", user, claim_ids=[])
    services.assess(
        first,
        "supported",
        user,
        note="shortages",
        claim_ids=[law["shortages"].pk, law["checkpoint"].pk],
    )
    first.refresh_from_db()
    assert first.status == "supported" and set(first.claims.all()) == {
        law["shortages"],
        law["checkpoint"],
    }
    edit = Edit.objects.filter(
        model="law.ElementAssessment", object_id=str(first.pk), action="update"
    ).latest("pk")
    assert edit.before["status"] == "unsupported" and edit.after["status"] == "supported"
    assert sorted(edit.after["claims"]) == sorted([law["shortages"].pk, law["checkpoint"].pk])
    other = Claim.objects.create(case=_other_case(user), item=law["item"], text="x")
    with pytest.raises(UserError, match="no claim"):
        services.assess(first, "partly_supported", user, claim_ids=[other.pk])


def _other_case(user: Any) -> Any:
    from vestige.cases.services import create_case

    return create_case("other-case", "Other", owner=user)


@pytest.mark.django_db
def test_proof_chart_rows_evidence_and_gaps(law: dict[str, Any], user: Any) -> None:
    record = services.characterise(law["incident"], "rome.art8.2.b.xxv", "international", user)
    services.assess(
        record.assessments.get(element_id="rome.art8.2.b.xxv.e1"),
        "supported",
        user,
        claim_ids=[law["shortages"].pk],
    )
    services.assess(
        record.assessments.get(element_id="rome.art8.2.b.xxv.e3"),
        "contradicted",
        user,
        claim_ids=[law["checkpoint"].pk],
    )
    chart = proofchart.build(law["case"])
    assert len(chart.sections) == 1 and len(chart.rows) == 4
    rows = {row.element.id: row for row in chart.rows}
    assert rows["rome.art8.2.b.xxv.e1"].status == "supported"
    assert not rows["rome.art8.2.b.xxv.e1"].is_gap
    evidence = rows["rome.art8.2.b.xxv.e1"].evidence[0]
    assert evidence.claim_id == law["shortages"].pk
    assert evidence.exhibit.label == f"report.txt [{str(law['item'].pk).replace('-', '')[:8]}]"
    assert rows["rome.art8.2.b.xxv.e3"].is_gap and rows["rome.art8.2.b.xxv.e2"].is_gap
    assert chart.gaps == 3 and chart.counts()["supported"] == 1
    hidden = proofchart.build(law["case"], hidden_items={law["item"].pk})
    row = {r.element.id: r for r in hidden.rows}["rome.art8.2.b.xxv.e1"]
    assert row.evidence == [] and row.withheld == 1


@pytest.mark.django_db
def test_actor_proof_chart_adds_the_mode_of_liability(law: dict[str, Any], user: Any) -> None:
    services.characterise(law["incident"], "rome.art8.2.b.xxv", "international", user)
    link = services.link_liability(
        law["actor"], law["incident"], "rome.art25.3.b", user, claim_ids=[law["order"].pk]
    )
    services.assess(
        link.assessments.get(element_id="rome.art25.3.b.e1"),
        "partly_supported",
        user,
        claim_ids=[law["order"].pk],
    )
    with pytest.raises(UserError, match="not a mode of liability"):
        services.link_liability(law["actor"], law["incident"], "rome.art6.a", user)
    chart = proofchart.build(law["case"], actor=law["actor"])
    assert [s.kind for s in chart.sections] == ["crime", "liability"]
    mode = chart.sections[1]
    assert [e.claim_id for e in mode.linkage] == [law["order"].pk]
    assert [r.element.id for r in mode.rows] == [
        "rome.art25.3.b.e1",
        "rome.art25.3.b.e2",
        "rome.art25.3.b.e3",
    ]
    assert mode.rows[0].status == "partly_supported" and mode.gaps == 2
    other = Actor.objects.create(case=law["case"], name="Nobody", kind="person")
    assert proofchart.build(law["case"], actor=other).sections == []


# ---------------------------------------------------------------- web


@pytest.mark.django_db
def test_web_pages_need_membership_and_edit_needs_edit(
    client: Any, law: dict[str, Any], user: Any, outsider: Any, django_user_model: Any
) -> None:
    case = law["case"]
    record = services.characterise(law["incident"], "rome.art8.2.b.xxv", "international", user)
    assessment = record.assessments.get(element_id="rome.art8.2.b.xxv.e1")
    link = services.link_liability(law["actor"], law["incident"], "rome.art28.a", user)
    pages = [
        reverse("proof-chart", args=[case.slug]),
        reverse("proof-chart", args=[case.slug]) + f"?actor={law['actor'].pk}",
        reverse("proof-claim", args=[case.slug, law["shortages"].pk]),
        reverse("characterisation-detail", args=[case.slug, record.pk]),
        reverse("liability-detail", args=[case.slug, link.pk]),
        reverse("incident-detail", args=[case.slug, law["incident"].pk]),
        reverse("actor-detail", args=[case.slug, law["actor"].pk]),
    ]
    post = reverse("assessment-update", args=[case.slug, assessment.pk])
    client.force_login(outsider)
    for url in pages:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(post, {"status": "supported", "claims": [law["shortages"].pk]}).status_code
        == 404
    )
    viewer = django_user_model.objects.create_user(username="vera", password="correct-horse-9")
    set_member(case.slug, viewer.username, "viewer")
    client.force_login(viewer)
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert (
        client.post(post, {"status": "supported", "claims": [law["shortages"].pk]}).status_code
        == 403
    )
    assessment.refresh_from_db()
    assert assessment.status == "unsupported"
    page = client.get(pages[0]).content.decode()
    assert "War crime of starvation as a method of warfare" in page and "GAP" in page
    assert 'name="status"' not in client.get(pages[3]).content.decode()


@pytest.mark.django_db
def test_editor_characterises_from_the_incident_page_and_sets_statuses(
    client: Any, law: dict[str, Any], user: Any
) -> None:
    case = law["case"]
    client.force_login(user)
    incident_url = reverse("incident-detail", args=[case.slug, law["incident"].pk])
    page = client.get(incident_url + "?conflict=non_international").content.decode()
    assert 'value="rome.art8.2.e.iv"' in page and 'value="rome.art8.2.b.ix"' not in page
    page = client.get(incident_url).content.decode()  # the incident's own classification
    assert 'value="rome.art8.2.b.ix"' in page and 'value="rome.art8.2.e.iv"' not in page
    url = reverse("incident-characterise", args=[case.slug, law["incident"].pk])
    refused = client.post(
        url, {"crime_id": "rome.art8.2.b.ix", "conflict_type": "non_international"}
    )
    assert refused.status_code == 302 and not Characterisation.objects.exists()
    response = client.post(url, {"crime_id": "rome.art8.2.b.ix", "conflict_type": "international"})
    record = Characterisation.objects.get()
    assert response["Location"] == reverse("characterisation-detail", args=[case.slug, record.pk])
    assessment = record.assessments.get(element_id="rome.art8.2.b.ix.e1")
    response = client.post(
        reverse("assessment-update", args=[case.slug, assessment.pk]),
        {"status": "supported", "note": "closed road", "claims": [law["checkpoint"].pk]},
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "supported" and list(assessment.claims.all()) == [law["checkpoint"]]
    chart = client.get(reverse("proof-chart", args=[case.slug])).content.decode()
    assert reverse("proof-claim", args=[case.slug, law["checkpoint"].pk]) in chart
    assert reverse("item-detail", args=[case.slug, law["item"].pk]) in chart
    assert (
        "@media print"
        in (Path(__file__).parents[1] / "src/vestige/law/static/vestige/law.css").read_text()
    )
    history = client.get(reverse("case-history", args=[case.slug])).content.decode()
    assert "ElementAssessment" in history and "Characterisation" in history
    actor_url = reverse("liability-create", args=[case.slug, law["actor"].pk])
    response = client.post(
        actor_url,
        {"incident": law["incident"].pk, "mode_id": "rome.art28.a", "claims": [law["order"].pk]},
    )
    assert response.status_code == 302
    assert list(law["actor"].liability_links.get().claims.all()) == [law["order"]]


# ---------------------------------------------------------------- CLI


@pytest.mark.django_db(transaction=True)
def test_cli_exports_the_proof_chart_as_csv(cli_env: dict[str, str], tmp_path: Path) -> None:
    vestige(["demo", "--owner", "nobody"], cli_env, check=True)
    out = tmp_path / "chart.csv"
    result = vestige(
        ["proof-chart", "nagorno-karabakh-demo", "--csv", str(out)], cli_env, check=True
    )
    assert "gaps" in result.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and set(proofchart.CSV_COLUMNS) == set(rows[0])
    by_status = {r["element_id"]: r for r in rows}
    assert by_status["rome.art8.2.b.xxv.e2"]["gap"] == "yes"
    supported = [r for r in rows if r["element_id"] == "rome.art8.2.b.xxv.e1"]
    assert supported[0]["status"] == "supported" and all(r["claim_id"] for r in supported)
    assert any("[" in r["exhibit"] for r in supported)
    table = vestige(["proof-chart", "nagorno-karabakh-demo"], cli_env, check=True).stdout
    assert "GAP" in table and "8(2)(b)(xxv)" in table
    bad = vestige(["proof-chart", "nagorno-karabakh-demo", "--actor", "999999"], cli_env)
    assert bad.returncode == 2 and "no actor" in bad.stderr
    listed = json.loads(
        vestige(["law", "list", "--kind", "liability", "--json"], cli_env, check=True).stdout
    )
    assert {p["number"] for p in listed} >= {"25(3)(a)", "28(b)"}


# ---------------------------------------------------------------- demo


@pytest.mark.django_db
def test_demo_has_a_characterised_incident_with_real_gaps(
    settings: Any, tmp_path: Path, django_user_model: Any
) -> None:
    from vestige.cases.models import Case
    from vestige.demo.loader import DEMO_SLUG, load_demo

    settings.DATA_DIR = tmp_path / "data"
    django_user_model.objects.create_user(username="admin", password="correct-horse-9")
    load_demo(owner="admin", actor="t")
    load_demo(owner="admin", actor="t")  # a second run adds nothing
    case = Case.objects.get(slug=DEMO_SLUG)
    assert Characterisation.objects.filter(case=case).count() == 1
    chart = proofchart.build(case)
    statuses = {row.element.id: row.status for row in chart.rows}
    assert statuses["rome.art8.2.b.xxv.e1"] == "supported"
    assert statuses["rome.art8.2.b.xxv.e2"] == "unsupported"
    assert chart.gaps >= 2
    supported = next(r for r in chart.rows if r.status == "supported")
    assert len({e.exhibit.item_id for e in supported.evidence}) >= 2  # several exhibits
