"""The demonstration case's sanctions screening: the invented list, person and judgements."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from vestige.cases.graph import Actor, ActorName, IncidentActor
from vestige.cases.models import Case
from vestige.core.bundle import verify_bundle
from vestige.core.screening import DEFAULT_THRESHOLD
from vestige.demo import sanctions as demo_sanctions
from vestige.demo.loader import DEMO_SLUG, load_demo
from vestige.dossiers.builder import build_dossier
from vestige.sanctions import screening
from vestige.sanctions.models import (
    ListedEntity,
    ListedName,
    SanctionsList,
    ScreeningJudgement,
)
from vestige.sanctions.screening import screen_actor, screen_name

pytestmark = pytest.mark.django_db

CSS = Path(demo_sanctions.__file__).parents[1] / "web" / "static" / "vestige" / "vestige.css"


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    """Screening caches its index by list ids; a rolled-back test may leave ids to reuse."""
    screening._CACHE.clear()
    yield
    screening._CACHE.clear()


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def admin(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="admin", password="correct-horse-9")


def _person() -> Actor:
    return Actor.objects.get(case__slug=DEMO_SLUG, name=demo_sanctions.PERSON_NAME)


def _counts() -> dict[str, int]:
    return {
        "lists": SanctionsList.objects.count(),
        "entities": ListedEntity.objects.count(),
        "names": ListedName.objects.count(),
        "judgements": ScreeningJudgement.objects.count(),
        "actors": Actor.objects.count(),
        "actor_names": ActorName.objects.count(),
        "links": IncidentActor.objects.count(),
    }


def test_the_list_file_is_ftm_and_every_entity_is_labelled_invented() -> None:
    lines = demo_sanctions.LIST_FILE.read_text(encoding="utf-8").splitlines()
    entities = [json.loads(line) for line in lines if line.strip()]
    listed = [e for e in entities if e["schema"] in ("Person", "Company")]
    assert len(listed) >= 3
    for entity in entities:
        assert entity["id"] and entity["schema"] and isinstance(entity["properties"], dict)
        assert entity["datasets"] == ["vestige_demo_invented"]
    for entity in listed:
        assert any("INVENTED" in note for note in entity["properties"]["notes"]), entity["id"]
    person = next(e for e in listed if e["id"] == "vestige-demo-person-1")
    scripts = " ".join([*person["properties"]["name"], *person["properties"]["alias"]])
    assert re.search("[А-я]", scripts)  # Cyrillic
    assert re.search("[\u0531-\u058f]", scripts)  # Armenian
    assert "ə" in scripts and "ğ" in scripts  # Azerbaijani Latin
    # The actor's shown name is none of the listed spellings: screening has to find it.
    assert demo_sanctions.PERSON_NAME not in scripts


def test_demo_imports_the_list_and_screens_the_invented_person(data_dir: Path, admin: Any) -> None:
    summary = load_demo(owner="admin", actor="t")

    listed = SanctionsList.objects.get(source=demo_sanctions.LIST_SOURCE)
    assert listed.format == "ftm"
    assert listed.published == date(2024, 3, 1)
    assert listed.entity_count == 4
    assert "vestige_demo_invented" in listed.name

    actor = _person()
    assert actor.kind == "person"
    assert actor.description.startswith("INVENTED")
    assert {n.script for n in actor.names.all()} >= {"Latin", "Cyrillic", "Armenian"}
    link = IncidentActor.objects.get(actor=actor)
    assert link.incident.external_ids["vestige_demo"] == "lachin-blockade"
    assert link.role == "alleged_perpetrator"

    results = {r.entity_id: r for r in screen_actor(actor)}
    match = results["vestige-demo-person-1"]
    assert match.score >= DEFAULT_THRESHOLD
    assert match.judgement == "match"
    assert match.judged_by == "admin"
    assert match.features["dob"] == "partial"
    assert match.features["nationality"] == "match"
    assert "VESTIGE-DEMO (invented programme)" in match.programmes
    namesake = results["vestige-demo-person-2"]
    assert namesake.score >= DEFAULT_THRESHOLD
    assert namesake.dismissed
    assert "vestige-demo-person-3" not in results
    assert "vestige-demo-company-1" not in results

    kept = ScreeningJudgement.objects.get(actor=actor, entity_ref="vestige-demo-person-1")
    assert kept.decided_by is not None and kept.decided_by.username == "admin"
    assert kept.score is not None and kept.score >= DEFAULT_THRESHOLD
    assert kept.case is not None and kept.case.slug == DEMO_SLUG
    assert "invented" in kept.note

    # A typed name in another script finds the invented person too.
    typed = {r.entity_id for r in screen_name("Мирзабейли Эльхан")}
    assert "vestige-demo-person-1" in typed

    assert "Sanctions: this run imported the INVENTED demonstration list 'vestige-demo'" in summary
    assert "'Elkhan Mirzabeyli' finds 2 results" in summary
    assert "2 made by this run" in summary


def test_loading_twice_adds_nothing(data_dir: Path, admin: Any) -> None:
    load_demo(owner="admin", actor="t")
    before = _counts()
    summary = load_demo(owner="admin", actor="t")
    assert _counts() == before
    assert "the database already held the INVENTED demonstration list" in summary
    assert "made by this run" not in summary
    assert "with 2 reviewer judgements kept" in summary


def test_a_different_file_for_the_same_date_is_reported_not_fatal(
    data_dir: Path, admin: Any
) -> None:
    SanctionsList.objects.create(
        source=demo_sanctions.LIST_SOURCE,
        format="ftm",
        name="another file",
        published=date(2024, 3, 1),
        file_sha256="0" * 64,
    )
    summary = load_demo(owner="admin", actor="t")
    assert "The list file was not imported again" in summary
    assert "already imported from a different file" in summary
    assert ScreeningJudgement.objects.count() == 0


def test_actor_pages_show_results_score_features_and_judgements(
    data_dir: Path, admin: Any, client: Any
) -> None:
    load_demo(owner="admin", actor="t")
    actor = _person()
    client.force_login(admin)

    page = client.get(reverse("actor-detail", args=[DEMO_SLUG, actor.pk])).content.decode()
    assert "Sanctions screening" in page
    assert 'class="badge badge-judgement-match"' in page
    assert "vestige-demo-person-1" in page

    page = client.get(reverse("actor-screening", args=[DEMO_SLUG, actor.pk])).content.decode()
    assert "Elchan Mirsabeili" in page
    assert "1.000" in page
    assert "<dt>dob</dt>" in page and "partial" in page
    assert 'class="dismissed"' in page
    assert "dismissed: no match" in page
    assert "demonstration judgement on invented data" in page


def test_us_glomag_dossier_carries_the_screening_judgements(
    data_dir: Path, admin: Any, tmp_path: Path
) -> None:
    load_demo(owner="admin", actor="t")
    case = Case.objects.get(slug=DEMO_SLUG)
    out = tmp_path / "dossier"
    result = build_dossier(case, _person(), "us-glomag", out, label="t", user=admin)
    assert result.exhibits  # the blockade's claims give it exhibits
    with zipfile.ZipFile(out / "dossier.docx") as docx:
        text = docx.read("word/document.xml").decode("utf-8")
    assert "Sanctions-list screening" in text
    assert "vestige-demo-person-1" in text
    assert "Elchan Mirsabeili" in text
    assert "no match" in text
    report = verify_bundle(out)
    assert report.ok, report.problems


def test_badge_values_cover_the_models_choices() -> None:
    from vestige.cases.graph import ActorKind
    from vestige.corroboration.models import SuggestionStatus
    from vestige.sanctions.models import Decision
    from vestige.verification.models import Outcome, RecordStatus

    css = CSS.read_text(encoding="utf-8")
    for family, choices in [
        ("judgement", [*Decision.values, *SuggestionStatus.values]),
        ("record", RecordStatus.values),
        ("outcome", Outcome.values),
        ("actor", ActorKind.values),
    ]:
        for value in choices:
            assert f".badge-{family}-{value}" in css, f"badge-{family}-{value}"
    assert ".table tr.dismissed td" in css
