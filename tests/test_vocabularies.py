"""Controlled vocabularies kept as data files, checked against their JSON Schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vestige.cases.graph import IncidentStatus
from vestige.cases.vocabularies import (
    FOLDER,
    VocabularyError,
    check_all,
    choices,
    contested_names,
    label,
    load_document,
    term,
    vocabulary,
    vocabulary_names,
)
from vestige.core.names import names_match

EXPECTED = {
    "source_connection", "source_reliability", "information_credibility", "violation_status",
    "acled_event_types", "huridocs_acts", "heritage_condition", "item_relations",
    "incident_relations", "incident_actor_roles", "involvement", "count_categories",
}


def test_every_vocabulary_loads_and_follows_its_schema() -> None:
    assert set(vocabulary_names()) >= EXPECTED
    assert set(check_all()) == set(vocabulary_names()) | {"contested_names"}
    for name in vocabulary_names():
        terms = vocabulary(name)
        assert terms, name
        assert len({t.code for t in terms}) == len(terms), name
        assert all(t.label for t in terms)


def test_admiralty_grades() -> None:
    assert [t.code for t in vocabulary("source_reliability")] == list("ABCDEF")
    assert [t.code for t in vocabulary("information_credibility")] == list("123456")
    assert label("source_reliability", "A") == "Completely reliable"
    assert label("source_reliability", "F") == "Reliability cannot be judged"
    assert label("information_credibility", "1") == "Confirmed by other sources"
    assert label("information_credibility", "6") == "Truth cannot be judged"


def test_acled_has_six_event_types_with_their_sub_event_types() -> None:
    top = choices("acled_event_types", parent="")
    assert [lbl for _, lbl in top] == [
        "Battles", "Explosions/Remote violence", "Violence against civilians", "Protests",
        "Riots", "Strategic developments",
    ]
    children = {code: choices("acled_event_types", parent=code) for code, _ in top}
    assert [lbl for _, lbl in children["battles"]] == [
        "Armed clash", "Government regains territory", "Non-state actor overtakes territory",
    ]
    assert len(children["explosions_remote_violence"]) == 6
    assert len(children["violence_against_civilians"]) == 3
    assert len(children["protests"]) == 3
    assert len(children["riots"]) == 2
    assert len(children["strategic_developments"]) == 8
    assert sum(len(c) for c in children.values()) == 25
    found = term("acled_event_types", "shelling/artillery/missile attack")
    assert found and found.parent == "explosions_remote_violence"


def test_vocabularies_match_the_model_choices() -> None:
    assert [t.code for t in vocabulary("violation_status")] == list(IncidentStatus.values)
    assert "participant" in [t.code for t in vocabulary("incident_actor_roles")]
    assert "killed" in [t.code for t in vocabulary("count_categories")]
    assert len(vocabulary("huridocs_acts")) == 14
    assert len(vocabulary("involvement")) == 9
    assert {t.code for t in vocabulary("incident_relations")} == {
        "precedes", "follows", "encompasses", "part_of", "causes", "consequence", "parallel"
    }


def test_contested_native_forms_fold_to_their_names() -> None:
    for entry in contested_names():
        assert len({n["used_by"] for n in entry["names"]}) == len(entry["names"])
        for name in entry["names"]:
            if name.get("language") == "hy":
                assert names_match(name["name"], name["native"]), name


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "vocabularies"
    shutil.copytree(FOLDER, folder)
    return folder


def test_a_broken_file_names_the_file_and_the_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "source_reliability.yaml"
    # Unquoted numbers are not codes: the schema wants strings.
    path.write_text(path.read_text(encoding="utf-8").replace("code: A", "code: 7"),
                    encoding="utf-8")
    with pytest.raises(VocabularyError) as caught:
        check_all(folder)
    message = str(caught.value)
    assert "source_reliability.yaml" in message and "terms[0].code" in message


def test_a_missing_label_and_a_bad_parent_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "acled_event_types.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("parent: riots}", "parent: riot}", 1), encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"acled_event_types.yaml: field terms\[\d+\].parent"):
        load_document("acled_event_types", folder)
    path.write_text(text.replace("    label: Battles\n", "", 1), encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"field terms\[0\]: 'label' is a required"):
        load_document("acled_event_types", folder)
    path.write_text(text, encoding="utf-8")
    (folder / "broken.yaml").write_text("name: broken\nterms: [\n", encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"broken\.yaml: cannot be read as YAML"):
        check_all(folder)


def test_contested_names_file_is_checked_by_its_own_schema(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "contested_names.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("country: AZ", "country: Az", 1),
                    encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"places\[0\].country.*contested_names.schema"):
        load_document("contested_names", folder)
