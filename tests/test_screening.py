"""Sanctions screening (issue 6): cross-script matching, qualifiers, judgements, CLI and UI."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client

from tests.conftest import shared_file, vestige
from vestige.core.errors import UserError
from vestige.core.screening import (
    ALGORITHM,
    DEFAULT_THRESHOLD,
    VERSION,
    ListedRecord,
    Qualifiers,
    ScreeningIndex,
    apply_qualifiers,
    parse_name,
    score_names,
)


def score(query: str, listed: str) -> float:
    return score_names(parse_name(query), parse_name(listed)).score


# --- the pure matcher -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Алиев Рашад", "ALIYEV, Rashad"),
        ("Əliyev Rəşad Kamal oğlu", "Aliyev Rashad Kamal ogly"),
        ("Əliyev Rəşad Kamal oğlu", "Алиев Рашад Камал оглы"),
        ("Петросян", "Petrosian"),
        ("Պետրոսյան", "Petrosian"),
        ("Պետրոսյան", "Петросян"),
        ("Петросян Армен", "PETROSIAN, Armen"),
        ("Олександр Коломойський", "KOLOMOISKY, Oleksandr"),
        ("Олександр Коломойський", "KOLOMOISKY, Aleksandr"),
        ("Лукашэнка Аляксандр", "LUKASHENKO, Aleksandr Grigorievich"),
        ("Xəlilov Elxan", "KHALILOV, Elkhan"),
        ("Iwanow Sergej", "IVANOV, Sergei"),
        ("Ivanoff Serge", "IVANOV, Sergei"),
        ("Žukov Georgij", "ZHUKOV, Georgiy"),
        ("Schtschedrin Wiktor", "SHCHEDRIN, Viktor"),
        ("Viatcheslav Volodine", "VOLODIN, Vyacheslav"),
        ("Rashad Aliyev", "ALIYEV, Rashad"),  # order swap
        ("R. Aliyev", "ALIYEV, Rashad"),  # initial
        ("Dmitry Rogozin", "ROGOZIN, Dmitry Olegovich"),  # dropped patronymic
    ],
)
def test_cross_script_and_romanisation_matches(query: str, listed: str) -> None:
    assert score(query, listed) >= DEFAULT_THRESHOLD, (query, listed, score(query, listed))


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Aliyev Ramil", "ALIYEV, Rashad"),  # same surname, another given name
        ("Алиев Ильхам", "ALIYEV, Rashad Kamal ogly"),
        ("Oleksandr Kornet", "KORNET, Igor Aleksandrovich"),  # given name = the patronymic only
        ("Лукашенко Виктор Петрович", "LUKASHENKA, Viktar Aliaksandravich"),  # other father
        ("Sabir Salim", "SALIM S.A."),  # a company's legal form is not an initial
        ("Petrov Ivan", "PETROSIAN, Armen"),
        ("Mohammad Hassan", "HASSAN, Ali"),
    ],
)
def test_hard_non_matches_stay_below_the_threshold(query: str, listed: str) -> None:
    assert score(query, listed) < DEFAULT_THRESHOLD, (query, listed, score(query, listed))


def test_features_explain_the_score() -> None:
    result = score_names(parse_name("Rashad Aliyev"), parse_name("ALIYEV, Rashad Kamal ogly"))
    assert result.features["order_swap"] is True
    assert result.features["patronymic"] == "dropped"
    assert [pair[:2] for pair in result.features["aligned"]] == [
        ["Rashad", "Rashad"],
        ["Aliyev", "ALIYEV"],
    ] or [pair[:2] for pair in result.features["aligned"]] == [
        ["Aliyev", "ALIYEV"],
        ["Rashad", "Rashad"],
    ]
    cross = score_names(parse_name("Алиев Рашад"), parse_name("ALIYEV, Rashad"))
    assert cross.features["script_cross"] == "Cyrillic→Latin"
    initial = score_names(parse_name("R. Aliyev"), parse_name("ALIYEV, Rashad"))
    assert initial.features["initials"] == 1
    assert initial.score < score("Rashad Aliyev", "ALIYEV, Rashad")


def test_date_of_birth_nationality_and_gender_move_the_score() -> None:
    base = score_names(
        parse_name("Лукашенко Александр"), parse_name("LUKASHENKA, Alyaksandr Hryhoryavich")
    )
    listed = Qualifiers(("1954-08-30",), ("BY",), "male")
    exact = apply_qualifiers(base, Qualifiers(("1954-08-30",)), listed)
    year = apply_qualifiers(base, Qualifiers(("1954",)), listed)
    near = apply_qualifiers(base, Qualifiers(("1955",)), listed)
    wrong = apply_qualifiers(base, Qualifiers(("1980-01-01",)), listed)
    assert exact.features["dob"] == "exact" and year.features["dob"] == "partial"
    assert near.features["dob"] == "near" and wrong.features["dob"] == "mismatch"
    assert exact.score > year.score > base.score > near.score > wrong.score
    assert wrong.score < DEFAULT_THRESHOLD <= base.score
    other_country = apply_qualifiers(base, Qualifiers(nationalities=("RU",)), listed)
    assert other_country.features["nationality"] == "mismatch"
    assert other_country.score < base.score
    woman = apply_qualifiers(base, Qualifiers(gender="female"), listed)
    assert woman.features["gender"] == "mismatch" and woman.score < DEFAULT_THRESHOLD


def test_index_finds_the_right_entity_among_many() -> None:
    records = [
        ListedRecord(1, "ofac", "1", "person", ("ALIYEV, Rashad Kamal ogly",)),
        ListedRecord(2, "ofac", "2", "person", ("ALIYEV, Ilham",)),
        ListedRecord(3, "ofac", "3", "person", ("PETROSIAN, Armen",)),
        ListedRecord(4, "ofac", "4", "person", ("KOLOMOISKY, Oleksandr", "KOLOMOISKIY, Igor")),
        *[
            ListedRecord(10 + k, "ofac", str(10 + k), "person", (f"IVANOV, Person{k}",))
            for k in range(200)
        ],
    ]
    index = ScreeningIndex(records)
    assert len(index) == 205
    found = index.search("Əliyev Rəşad")
    assert [m.record.entity_id for m in found] == ["1"]
    assert found[0].algorithm == ALGORITHM and found[0].version == VERSION
    assert [m.record.entity_id for m in index.search("Պետրոսյան Արմեն")] == ["3"]
    assert [m.record.entity_id for m in index.search("Коломойський Олександр")] == ["4"]
    assert index.search("Ivanov Sergei") == []


# --- the service over a real OFAC import ------------------------------------------------------


@pytest.fixture
def ofac(db: Any) -> Any:
    from vestige.sanctions.importing import import_file

    sdn = shared_file("ofac_sdn_2019_sdn.csv")
    shared_file("ofac_sdn_2019_alt.csv")
    return import_file("ofac-csv", sdn, as_of=date(2019, 6, 1)).list


def test_screen_name_against_the_real_ofac_list(ofac: Any) -> None:
    from vestige.sanctions.screening import screen_name

    results = screen_name("Лукашенко Александр Григорьевич", dob="1954")
    assert results[0].entity_id == "9760" and results[0].list_source == "ofac"
    assert results[0].features["dob"] == "partial"
    assert results[0].algorithm == ALGORITHM
    ukrainian = screen_name("Янукович Віктор Федорович")
    assert ukrainian[0].entity_id == "16641"
    with pytest.raises(UserError, match="no sanctions list"):
        screen_name("Лукашенко Александр", as_of=date(2018, 1, 1))


@pytest.fixture
def judged_case(ofac: Any, case: Any) -> tuple[Any, Any]:
    from vestige.cases.graph import Actor, ActorName

    actor = Actor.objects.create(
        case=case, name="Viktor Lukashenko", birth_date="1975", nationalities=["BY"], gender="male"
    )
    ActorName.objects.create(actor=actor, name="Віктар Лукашэнка")
    return case, actor


def test_judgements_are_honoured_in_later_runs(judged_case: tuple[Any, Any], user: Any) -> None:
    from vestige.sanctions.models import ListedEntity
    from vestige.sanctions.screening import record_judgement, screen_actor

    _, actor = judged_case
    first = screen_actor(actor)
    son = next(r for r in first if r.entity_id == "9797")
    assert son.judgement is None and "name_score" in son.features
    entity = ListedEntity.objects.get(pk=son.entity_pk)
    record_judgement(
        entity,
        "no_match",
        actor=actor,
        user=user,
        decided_by_label="amira",
        query_name=son.query_name,
        note="another Viktor",
    )
    again = screen_actor(actor)
    dismissed = next(r for r in again if r.entity_id == "9797")
    assert dismissed.judgement == "no_match" and dismissed.dismissed
    assert again[-1].entity_id == "9797"  # dismissed results come last
    # A match judged on an entity that does not reach the threshold is pinned first.
    father = ListedEntity.objects.get(list=entity.list, entity_id="9760")
    assert all(r.entity_id != "9760" for r in again)
    record_judgement(
        father, "match", actor=actor, user=user, decided_by_label="amira", query_name=actor.name
    )
    pinned = screen_actor(actor)
    assert pinned[0].entity_id == "9760" and pinned[0].judgement == "match"
    with pytest.raises(UserError, match="judgement"):
        record_judgement(
            father, "maybe", actor=actor, decided_by_label="amira", query_name=actor.name
        )


def test_cli_screen_case_in_process(judged_case: tuple[Any, Any]) -> None:
    from vestige.cli import main

    result = CliRunner().invoke(main, ["screen", "--case", "test-case", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report[0]["actor_name"] == "Viktor Lukashenko"
    assert "9797" in [r["entity_id"] for r in report[0]["results"]]
    both = CliRunner().invoke(main, ["screen", "Someone", "--case", "test-case"])
    assert both.exit_code == 2 and "either a NAME or --case" in both.output


# --- the command line, in its own process and database ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cli_screen_json_shape(cli_env: dict[str, str]) -> None:
    sdn = shared_file("ofac_sdn_2019_sdn.csv")
    vestige(["lists", "import", "ofac-csv", str(sdn), "--as-of", "2019-06-01"], cli_env, check=True)
    done = vestige(
        ["screen", "Аксёнов Сергей Валерьевич", "--dob", "1972-11-26", "--json"],
        cli_env,
        check=True,
    )
    results = json.loads(done.stdout)
    assert results, done.stdout
    top = results[0]
    assert {
        "list",
        "entity_id",
        "name",
        "score",
        "features",
        "algorithm",
        "version",
        "matched_name",
        "judgement",
    } <= set(top)
    assert top["list"] == "ofac" and top["entity_id"] == "16642"
    assert top["name"].startswith("AKSYONOV") and 0 < top["score"] <= 1
    assert top["algorithm"] == ALGORITHM and top["version"] == VERSION
    assert top["judgement"] is None and top["features"]["script_cross"] == "Cyrillic→Latin"
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    text = vestige(["screen", "Aksyonov Sergey"], cli_env, check=True)
    assert "ofac:16642" in text.stdout and ALGORITHM in text.stdout
    bad = vestige(["screen", "Aksyonov", "--dob", "26.11.1972"], cli_env)
    assert bad.returncode == 2 and "--dob" in bad.stderr and "Traceback" not in bad.stderr
    early = vestige(["screen", "Aksyonov", "--as-of", "2010-01-01"], cli_env)
    assert early.returncode == 2 and "no sanctions list" in early.stderr


# --- the actor page --------------------------------------------------------------------------


def _client(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def test_actor_page_panel_and_permissions(
    judged_case: tuple[Any, Any], user: Any, outsider: Any, django_user_model: Any
) -> None:
    from vestige.cases.services import set_member
    from vestige.sanctions.models import ListedEntity, ScreeningJudgement

    case, actor = judged_case
    base = f"/cases/{case.slug}/actors/{actor.pk}/"
    owner = _client(user)
    page = owner.get(base)
    assert page.status_code == 200 and b"Sanctions screening" in page.content
    results = owner.get(base + "screening/")
    assert results.status_code == 200
    body = results.content.decode()
    assert "LUKASHENKA, Viktar Aliaksandravich" in body and ALGORITHM in body
    assert 'name="decision"' in body
    entity = ListedEntity.objects.get(list__source="ofac", entity_id="9797")
    judged = owner.post(
        base + "screening/judge",
        {"entity": entity.pk, "decision": "no_match", "query_name": actor.name, "score": "0.9"},
    )
    assert judged.status_code == 302
    kept = ScreeningJudgement.objects.get(actor=actor)
    assert kept.decision == "no_match" and kept.decided_by == user and kept.entity_ref == "9797"
    assert "dismissed: no match" in owner.get(base + "screening/").content.decode()

    viewer = django_user_model.objects.create_user(username="vera", password="correct-horse-9")
    set_member(case.slug, "vera", "viewer")
    as_viewer = _client(viewer)
    seen = as_viewer.get(base + "screening/")
    assert seen.status_code == 200 and 'name="decision"' not in seen.content.decode()
    refused = as_viewer.post(base + "screening/judge", {"entity": entity.pk, "decision": "match"})
    assert refused.status_code == 403
    analyst = django_user_model.objects.create_user(username="ana", password="correct-horse-9")
    set_member(case.slug, "ana", "analyst")
    assert (
        _client(analyst)
        .post(base + "screening/judge", {"entity": entity.pk, "decision": "match"})
        .status_code
        == 403
    )
    reviewer = django_user_model.objects.create_user(username="rev", password="correct-horse-9")
    set_member(case.slug, "rev", "reviewer")
    unsure = {"entity": entity.pk, "decision": "unsure"}
    assert _client(reviewer).post(base + "screening/judge", unsure).status_code == 302
    stranger = _client(outsider)
    assert stranger.get(base + "screening/").status_code == 404
    assert (
        stranger.post(
            base + "screening/judge", {"entity": entity.pk, "decision": "match"}
        ).status_code
        == 404
    )
    assert ScreeningJudgement.objects.filter(actor=actor).count() == 2
