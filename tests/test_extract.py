"""Claims from text: dates, counts, names, sentences, the gold set, the service and the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from vestige.core.dates import find_date_spans, find_dates
from vestige.core.extract import (
    NameIndex,
    extract_candidates,
    find_attribution,
    indexes_from_names,
    score,
    split_sentences,
    total,
)
from vestige.core.quantities import find_quantities

from .conftest import SHARED, vestige

DATA = Path(__file__).parent / "data" / "extraction"
SEED = SHARED / "seed"
CARDIN = "cardin-letter-nagorno-karabakh.txt"


def cardin_text() -> str:
    path = SEED / CARDIN
    if not path.exists():
        pytest.skip(f"shared seed folder {SEED} is absent (needs {CARDIN})")
    return path.read_text(encoding="utf-8")


def indexes() -> tuple[NameIndex, NameIndex]:
    return indexes_from_names(json.loads((DATA / "names.json").read_text(encoding="utf-8")))


def edtf(text: str) -> list[str | None]:
    return [d.edtf for d in find_dates(text)]


# ----------------------------------------------------------------------------- dates

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in September 2023, President", ["2023-09"]),
        ("the November 2020 ceasefire", ["2020-11"]),
        ("the September 20, 2023 ceasefire", ["2023-09-20"]),
        ("on 20 September 2023 the", ["2023-09-20"]),
        ("the 20th of September, 2023", ["2023-09-20"]),
        ("the State Department’s 2022 Human Rights Report", ["2022"]),
        ("the offensive of 19–20 September 2023", ["2023-09-19/2023-09-20"]),
        ("September 19-20, 2023", ["2023-09-19/2023-09-20"]),
        ("between 27 September and 9 November 2020", ["2020-09-27/2020-11-09"]),
        ("records dated 2023-09-20 and 20.09.2023", ["2023-09-20", "2023-09-20"]),
        ("the 2020–2023 period", ["2020/2023"]),
    ],
)
def test_english_and_iso_dates(text: str, expected: list[str]) -> None:
    assert edtf(text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("20 сентября 2023 года азербайджанские войска", "2023-09-20", "day"),
        ("в сентябре 2023 года", "2023-09", "month"),
        ("19-20 сентября 2023 г.", "2023-09-19/2023-09-20", "interval"),
        ("С 12 декабря 2022 года", "2022-12-12", "day"),
        ("2023 թվականի սեպտեմբերի 20-ին", "2023-09-20", "day"),
        ("2023 թ. սեպտեմբերի 19-20-ը", "2023-09-19/2023-09-20", "interval"),
        ("2023 թվականի սեպտեմբերին", "2023-09", "month"),
        ("2020 թվականի նոյեմբերի 9-ին", "2020-11-09", "day"),
    ],
)
def test_russian_and_armenian_dates(text: str, expected: str, precision: str) -> None:
    (found,) = find_dates(text)
    assert (found.edtf, found.precision) == (expected, precision)
    assert text[found.start:found.end] == found.text


@pytest.mark.parametrize(
    "text",
    ["both before and after September, Azerbaijan", "в сентябре погибли", "սեպտեմբերին",
     "on 20 September the village", "An earlier attack on October 11 killed nine"],
)
def test_a_date_without_a_year_gets_no_edtf(text: str) -> None:
    """The year is never invented, from today or from anywhere else."""
    assert find_dates(text) == []
    spans = find_date_spans(text)
    assert spans and all(s.edtf is None for s in spans)
    today = date.today()
    assert all(str(today.year) not in (s.edtf or "") for s in spans)


def test_may_the_verb_is_not_a_month() -> None:
    assert find_date_spans("strikes may have violated the laws of war") == []


# ----------------------------------------------------------------------------- quantities

def _q(text: str) -> list[dict[str, Any]]:
    dates = [(d.start, d.end) for d in find_date_spans(text)]
    return [q.as_dict() for q in find_quantities(text, dates)]


@pytest.mark.parametrize(
    ("text", "low", "best", "high", "approximate"),
    [
        ("drove around 100,000 Armenians out of their homes", None, 100000, None, True),
        ("at least 50 civilians were killed", 50, None, None, False),
        ("up to 200 people", None, None, 200, False),
        ("between 10 and 20 soldiers", 10, None, 20, False),
        ("13 civilians were killed", None, 13, None, False),
        ("some 100 000 ethnic Armenians", None, 100000, None, True),
        ("1.5 million people", None, 1500000, None, False),
        ("dozens of houses", 24, None, 99, True),
        ("hundreds of families", 200, None, 999, True),
        ("tens of thousands of people", 20000, None, 99999, True),
        ("около 20 000 человек", None, 20000, None, True),
        ("не менее 200 человек", 200, None, None, False),
        ("от 10 до 20 человек", 10, None, 20, False),
        ("մոտ 100 հազար մարդ", None, 100000, None, True),
        ("առնվազն 200 մարդ", 200, None, None, False),
        ("100-ից ավելի զոհ", 100, None, None, False),
        ("two hundred people", None, 200, None, False),
    ],
)
def test_quantities_with_hedges(
    text: str, low: int | None, best: int | None, high: int | None, approximate: bool
) -> None:
    (found,) = _q(text)
    assert (found["low"], found["best"], found["high"], found["approximate"]) == (
        low, best, high, approximate
    )
    assert text[found["start"]:found["end"]] == found["text"]


@pytest.mark.parametrize(
    "text",
    ["in September 2023 and in 2022", "on 20 September the village", "Su-25 jets fired",
     "the 3rd brigade", "UN Resolution 2334", "the two countries", "2023 թ. սեպտեմբերի 20-ին"],
)
def test_years_dates_and_labels_are_not_counts(text: str) -> None:
    assert _q(text) == []


def test_count_category_and_unit() -> None:
    (found,) = _q("drove around 100,000 Armenians out of their homes")
    assert (found["unit"], found["category"]) == ("Armenians", "displaced")
    killed, wounded = _q("13 civilians were killed and more than 50 were wounded")
    assert killed["category"] == "killed" and wounded["category"] == "injured"


# ----------------------------------------------------------------------------- names

def test_name_index_finds_a_place_in_every_script() -> None:
    index = NameIndex([(7, "Stepanakert"), (7, "Khankendi"), (9, "Ganja")])
    text = "Ստեփանակերտ, Степанакерт, Khankendi and Xankəndi; also Stepanakert's market."
    matches = index.find(text)
    assert [m.id for m in matches] == [7, 7, 7, 7, 7]
    for match in matches:
        assert text[match.start:match.end] == match.text
    assert [m.text for m in matches][:4] == ["Ստեփանակերտ", "Степанакерт", "Khankendi",
                                             "Xankəndi"]


def test_name_index_from_non_latin_names_and_case_endings() -> None:
    index = NameIndex([("s", "Ստեփանակերտ"), ("s", "Степанакерт"), ("nk", "Nagorno-Karabakh")])
    text = "В Степанакерте и Ստեփանակերտում, in Stepanakert and in Nagorno Karabakh."
    assert [m.text for m in index.find(text)] == [
        "Степанакерте", "Ստեփանակերտում", "Stepanakert", "Nagorno Karabakh"
    ]
    # Latin words take no endings: "Armenian" is not "Armenia".
    assert NameIndex([("am", "Armenia")]).find("Armenian forces") == []


def test_name_index_prefers_the_longest_name() -> None:
    index = NameIndex([("a", "Aliyev"), ("ia", "Ilham Aliyev"), ("az", "Azerbaijan")])
    matches = index.find("President Ilham Aliyev of Azerbaijan; Алиев; Əliyev.")
    assert [(m.id, m.text) for m in matches] == [
        ("ia", "Ilham Aliyev"), ("az", "Azerbaijan"), ("a", "Алиев"), ("a", "Əliyev")
    ]


# ----------------------------------------------------------------------------- sentences

def test_sentences_respect_abbreviations_and_quotes() -> None:
    text = (
        "U.S. Senator Ben Cardin (D-Md.) wrote to Mr. Blinken. "
        "“Forces reportedly killed civilians. These attacks violated the ceasefire.,” he said. "
        "Dr. J. Smith agreed."
    )
    sentences = [s.text for s in split_sentences(text)]
    assert sentences == [
        "U.S. Senator Ben Cardin (D-Md.) wrote to Mr. Blinken.",
        "“Forces reportedly killed civilians.",
        "These attacks violated the ceasefire.,” he said.",
        "Dr. J. Smith agreed.",
    ]
    for sentence in split_sentences(text):
        assert text[sentence.start:sentence.end] == sentence.text


def test_armenian_and_russian_sentences() -> None:
    text = "Հրադադարը հայտարարվեց 2023 թ. սեպտեմբերի 20-ին։ Մոտ 100 հազար մարդ հեռացել է։"
    assert len(split_sentences(text)) == 2
    text = "Перемирие объявлено 20 сентября 2023 г. в Степанакерте. Около 100 000 жителей уехали."
    assert len(split_sentences(text)) == 2


def test_attribution() -> None:
    assert find_attribution("“… flee,” Senator Cardin wrote.") == "Senator Cardin"
    assert find_attribution(
        "Beyond the blockade, the State Department’s 2022 Human Right Report cites numerous"
        " reports of killings."
    ) == "the State Department’s 2022 Human Right Report"
    assert find_attribution("According to the city prosecutor's office, 13 died.") == (
        "the city prosecutor's office"
    )
    assert find_attribution("по словам местных властей, погибли 200 человек.") == (
        "местных властей"
    )


def test_sentences_without_anything_of_interest_are_not_proposed() -> None:
    assert extract_candidates("Diplomats met again on Monday. We call for dialogue.") == []


# ----------------------------------------------------------------------------- Cardin letter

REQUIRED = [
    ("drove around 100,000 Armenians out of their homes", "2023-09", 100000),
    ("clear violation of the November 2020 ceasefire", "2020-11", None),
    ("imposing a humanitarian blockade", None, None),
    ("committing extrajudicial killings of Armenians", "2022", None),
    ("seizing and destroying Armenian cultural property", None, None),
    ("terms of the September 20, 2023 ceasefire", "2023-09-20", None),
    ("further military action", None, None),
]


def test_cardin_letter_yields_the_seven_required_proposals() -> None:
    text = cardin_text()
    places, actors = indexes()
    proposals = extract_candidates(text, places, actors)
    for proposal in proposals:
        assert text[proposal.start:proposal.end] == proposal.text
        for found in [*proposal.dates, *proposal.quantities, *proposal.places, *proposal.actors]:
            assert text[found["start"]:found["end"]] == found["text"]
    for snippet, date_value, count in REQUIRED:
        covering = [p for p in proposals if snippet in p.text]
        assert len(covering) == 1, snippet
        proposal = covering[0]
        if date_value:
            assert proposal.edtf_dates == [date_value], snippet
        if count:
            assert [(q["best"], q["approximate"]) for q in proposal.quantities] == [(count, True)]
    campaign = next(p for p in proposals if "100,000" in p.text)
    assert campaign.hedges == ["reportedly"]
    assert campaign.attribution == "Senator Cardin"
    assert {a["id"] for a in campaign.actors} == {"ilham-aliyev", "azerbaijani-forces"}
    killings = next(p for p in proposals if "extrajudicial" in p.text)
    assert killings.attribution == "the State Department’s 2022 Human Right Report"
    zangezur = next(p for p in proposals if "corridor" in p.text)
    assert "zangezur" in {p["id"] for p in zangezur.places}
    # "both before and after September" states no year: none is invented.
    cultural = next(p for p in proposals if "cultural property" in p.text)
    assert cultural.dates == []


# ----------------------------------------------------------------------------- gold set

def gold_scores() -> list[Any]:
    places, actors = indexes()
    scores = []
    for path in sorted(DATA.glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        source = (SEED if gold.get("location") == "shared-seed" else DATA) / gold["document"]
        if not source.exists():
            continue
        text = source.read_text(encoding="utf-8")
        proposals = [p.as_dict() for p in extract_candidates(text, places, actors)]
        scores.append(score(gold["document"], text, proposals, gold["candidates"]))
    return scores


def test_invented_texts_are_marked_as_such() -> None:
    texts = [p for p in DATA.glob("*.txt")]
    assert len(texts) >= 5
    for path in texts:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert any(mark in first for mark in (
            "INVENTED DEMONSTRATION TEXT FOR TESTING", "ВЫМЫШЛЕННЫЙ ДЕМОНСТРАЦИОННЫЙ ТЕКСТ",
            "ՀՈՐԻՆՎԱԾ ՑՈՒՑԱԴՐԱԿԱՆ ՏԵՔՍՏ",
        )), path.name
        assert (DATA / f"{path.stem}.gold.json").exists()


def test_precision_and_recall_on_the_gold_set() -> None:
    scores = gold_scores()
    assert len(scores) >= 5
    overall = total(scores)
    report = ", ".join(f"{s.name}: P={s.precision:.2f} R={s.recall:.2f}" for s in scores)
    print(f"\nextraction gold set: {report}; overall P={overall.precision:.2f} "
          f"R={overall.recall:.2f}")
    assert overall.recall >= 0.9, overall.missed
    assert overall.precision >= 0.7, overall.wrong
    for name, (right, scored) in overall.fields.items():
        assert scored and right / scored >= 0.85, name


def test_scoring_counts_misses_and_extras() -> None:
    text = "Shelling killed 5 people in 2020. Nothing else. Talks resumed."
    proposals = [{"text": "Talks resumed.", "start": 48, "end": 62, "dates": []}]
    result = score("t", text, proposals, [{"contains": "killed 5 people", "dates": ["2020"]}])
    assert (result.precision, result.recall, result.missed) == (0.0, 0.0, ["killed 5 people"])
    proposals = [{"text": text[:33], "start": 0, "end": 33, "dates": [{"edtf": "2021"}]}]
    result = score("t", text, proposals, [{"contains": "killed 5 people", "dates": ["2020"]}])
    assert (result.precision, result.recall, result.fields["dates"]) == (1.0, 1.0, (0, 1))


# ----------------------------------------------------------------------------- Django service

def _import_text(case: Any, user: Any, make_files: Any, name: str, text: str) -> Any:
    from vestige.evidence.importing import Importer
    from vestige.evidence.models import Item

    folder = make_files({name: text.encode("utf-8")})
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    return Item.objects.get(case=case, source_name=name)


def _gazetteer(case: Any) -> dict[str, Any]:
    from vestige.cases.models import Actor, ActorName, Place, PlaceName

    stepanakert = Place.objects.create(name="Stepanakert", kind="settlement")
    for name in ("Ստեփանակերտ", "Степанакерт", "Khankendi", "Xankəndi"):
        PlaceName.objects.create(place=stepanakert, name=name)
    zangezur = Place.objects.create(name="Zangezur", kind="area")
    PlaceName.objects.create(place=zangezur, name="Zangezour")
    other = Place.objects.create(name="Elsewhere checkpoint", case=None)
    aliyev = Actor.objects.create(case=case, name="Ilham Aliyev")
    ActorName.objects.create(actor=aliyev, name="Алиев")
    return {"stepanakert": stepanakert, "zangezur": zangezur, "aliyev": aliyev, "other": other}


@pytest.mark.django_db
def test_propose_and_accept_make_an_anchored_claim(case: Any, user: Any, make_files: Any) -> None:
    from vestige.cases.extraction import accept_candidate, propose_claims, reject_candidate
    from vestige.cases.models import CandidateClaim, Claim, Edit, Incident
    from vestige.core.errors import UserError

    places = _gazetteer(case)
    text = (
        "INVENTED TEST TEXT.\n\nOn 20 September 2023 shelling reportedly killed at least 5 "
        "civilians in Степанакерт, officials said. Алиев denied it.\n\nNothing else here.\n"
    )
    item = _import_text(case, user, make_files, "report.txt", text)
    candidates = propose_claims(item, user)
    assert [c.text for c in candidates] == [
        "On 20 September 2023 shelling reportedly killed at least 5 civilians in Степанакерт, "
        "officials said.",
        "Алиев denied it.",
    ]
    first = candidates[0]
    assert text[first.start:first.end] == first.text
    assert first.extractor == "vestige.extract/1" and first.status == "pending"
    assert [d["edtf"] for d in first.proposal["dates"]] == ["2023-09-20"]
    assert first.proposal["places"][0]["id"] == places["stepanakert"].pk
    # Idempotent: a second run adds nothing.
    assert [c.pk for c in propose_claims(item, user)] == [c.pk for c in candidates]
    assert CandidateClaim.objects.filter(item=item).count() == 2

    incident = Incident.objects.create(case=case, title="Shelling of Stepanakert")
    claim = accept_candidate(first, user, incident=incident)
    assert claim.anchor == {"start": first.start, "end": first.end}
    assert claim.text == text[claim.anchor["start"]:claim.anchor["end"]]
    assert claim.date == "2023-09-20" and claim.date_precision == "day"
    assert claim.hedges == ["reportedly"] and claim.asserted_by == "officials"
    assert list(claim.places.all()) == [places["stepanakert"]]
    assert list(claim.incidents.all()) == [incident]
    assert claim.item == item and claim.case == case and claim.created_by == user
    first.refresh_from_db()
    assert first.status == "accepted" and first.claim == claim and first.reviewed_by == user
    edits = Edit.objects.filter(model="cases.Claim", object_id=str(claim.pk))
    assert edits.filter(action="create").exists() and edits.filter(action="update").exists()
    assert Edit.objects.filter(model="cases.CandidateClaim", object_id=str(first.pk)).exists()

    second = candidates[1]
    reject_candidate(second, user)
    second.refresh_from_db()
    assert second.status == "rejected"
    with pytest.raises(UserError, match="already rejected"):
        accept_candidate(second, user)
    assert Claim.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_actors_of_other_cases_and_places_of_other_cases_are_not_used(
    case: Any, user: Any, make_files: Any
) -> None:
    from vestige.cases.extraction import propose_claims
    from vestige.cases.models import Actor, Place
    from vestige.cases.services import create_case

    other_case = create_case("other", "Other", owner=user)
    Place.objects.create(name="Secretville", case=other_case)
    Actor.objects.create(case=other_case, name="Hidden Commander")
    Place.objects.create(name="Ownville", case=case)
    text = "Hidden Commander shelled Secretville and Ownville on 4 October 2020.\n"
    item = _import_text(case, user, make_files, "a.txt", text)
    (candidate,) = propose_claims(item, user)
    assert [p["text"] for p in candidate.proposal["places"]] == ["Ownville"]
    assert candidate.proposal["actors"] == []


@pytest.mark.django_db
def test_an_item_without_text_is_a_user_error(case: Any, user: Any, make_files: Any) -> None:
    from vestige.cases.extraction import propose_claims
    from vestige.core.errors import UserError
    from vestige.evidence.importing import Importer
    from vestige.evidence.models import Item

    folder = make_files({"blob.bin": bytes(range(256)) * 8})
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    item = Item.objects.get(case=case)
    with pytest.raises(UserError, match="no text"):
        propose_claims(item, user)


# ----------------------------------------------------------------------------- CLI

def test_cli_extract_json_on_the_cardin_letter(cli_env: dict[str, str]) -> None:
    source = SEED / CARDIN
    if not source.exists():
        pytest.skip(f"shared seed folder {SEED} is absent (needs {CARDIN})")
    vestige(["case", "create", "nk", "--title", "NK"], cli_env, check=True)
    outcomes = json.loads(
        vestige(["import", str(source), "--case", "nk", "--json"], cli_env, check=True).stdout
    )
    item_id = outcomes[0]["item_id"]
    result = vestige(["extract", item_id, "--json"], cli_env, check=True)
    candidates = json.loads(result.stdout)
    text = source.read_text(encoding="utf-8")
    assert candidates
    for candidate in candidates:
        assert {"id", "status", "text", "start", "end", "dates", "quantities", "places",
                "actors", "hedges"} <= set(candidate)
        assert text[candidate["start"]:candidate["end"]] == candidate["text"]
        assert all(isinstance(d, str) for d in candidate["dates"])
    campaign = next(c for c in candidates if "100,000" in c["text"])
    assert campaign["dates"] == ["2023-09"]
    assert campaign["quantities"][0]["best"] == 100000
    assert campaign["quantities"][0]["approximate"] is True
    assert campaign["hedges"] == ["reportedly"]
    assert {c["dates"][0] for c in candidates if c["dates"]} >= {"2020-11", "2023-09-20", "2022"}
    # A second run proposes nothing new: the same ids come back.
    again = json.loads(vestige(["extract", item_id, "--json"], cli_env, check=True).stdout)
    assert [c["id"] for c in again] == [c["id"] for c in candidates]
    plain = vestige(["extract", item_id], cli_env, check=True).stdout
    assert "dates: 2023-09" in plain and "asserted by: Senator Cardin" in plain


def test_cli_extract_unknown_item_is_a_user_error(cli_env: dict[str, str]) -> None:
    for bad in ("00000000-0000-0000-0000-000000000000", "not-an-id"):
        result = vestige(["extract", bad, "--json"], cli_env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
        assert result.stdout == ""
