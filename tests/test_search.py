"""Search: across scripts and diacritics, with facets, snippets and membership isolation.

These run on SQLite (FTS5) and, with scripts/with-postgres.sh, on PostgreSQL (tsvector and
pg_trgm): the same tests, the same answers.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import vestige
from vestige.cases.models import Actor, ActorName, Claim, Incident, Place, PlaceName
from vestige.cases.services import create_case, set_member
from vestige.core.blobstore import LocalBlobStore
from vestige.core.errors import NotFound, UserError
from vestige.evidence.models import Derivative, Item
from vestige.search.index import reindex
from vestige.search.models import SearchEntry
from vestige.search.service import SearchFilters, search, snippet

pytestmark = pytest.mark.django_db


def text_item(case: Any, title: str, text: str, *, kind: str = "document",
              claimed_date: str = "") -> Item:
    """An item whose extracted text is ``text`` (stored as a real blob and derivative)."""
    store = LocalBlobStore(settings.BLOB_ROOT, fsync=False)
    blob = store.put_stream(io.BytesIO(text.encode("utf-8")))
    item = Item.objects.create(
        case=case, kind=kind, title=title, source_name=f"{title}.txt",
        captured_at=datetime.now(UTC), captured_by_label="tester", capture_tool="test",
        capture_tool_version="1", sha256=blob.sha256, size=blob.size, media_type="text/plain",
        claimed_date=claimed_date,
    )
    Derivative.objects.create(
        item=item, kind="text", sha256=blob.sha256, size=blob.size,
        media_type="text/plain; charset=utf-8", tool="test",
    )
    return item


def stepanakert() -> Place:
    """The shared gazetteer's Stepanakert, with its names in four spellings."""
    place = Place.objects.create(
        name="Stepanakert", country_code="AZ", latitude=39.8, longitude=46.75,
        contested_names=[{"name": "Stepanakert", "used_by": "Armenian"},
                         {"name": "Khankendi", "used_by": "Azerbaijani"}],
    )
    for name in ("Ստեփանակերտ", "Степанакерт", "Xankəndi"):
        PlaceName.objects.create(place=place, name=name)
    return place


def found(results: Any) -> set[tuple[str, str]]:
    return {(h.record_type, h.title) for h in results.hits}


@pytest.fixture
def corpus(case: Any, user: Any) -> dict[str, Any]:
    """A small case graph in three scripts."""
    place = stepanakert()
    shusha = Place.objects.create(name="Shusha", case=case)
    azeri = text_item(case, "Statement AZ", "Prezident İlham Əliyev bu gün çıxış etdi.",
                      claimed_date="2023-09")
    russian = text_item(case, "Сообщение", "Президент Алиев заявил о завершении операции.",
                        kind="message", claimed_date="2020-11-10")
    armenian = text_item(case, "Վկայություն", "Ստեփանակերտում հոսանք չկար։ Blockade continued.",
                         kind="testimony")
    claim = Claim.objects.create(
        case=case, item=armenian, text="There was no electricity in Stepanakert.",
        date="2023-01", anchor={"start": 0, "end": 20},
    )
    claim.places.add(place)
    battle = Incident.objects.create(
        case=case, title="Shelling of Stepanakert", description="Artillery fire on the centre.",
        date="2023-09-19", event_type="Explosions/Remote violence",
    )
    battle.places.add(place)
    blockade = Incident.objects.create(
        case=case, title="Blockade of the Lachin corridor", description="Roads closed.",
        date="2022-12-12/2023-09-19", event_type="Strategic developments",
    )
    blockade.places.add(shusha)
    actor = Actor.objects.create(case=case, name="Ilham Aliyev", kind="person")
    ActorName.objects.create(actor=actor, name="Ильхам Алиев", language="ru")
    return {"place": place, "shusha": shusha, "azeri": azeri, "russian": russian,
            "armenian": armenian, "claim": claim, "battle": battle, "blockade": blockade,
            "actor": actor}


def test_aliyev_finds_every_spelling(corpus: dict[str, Any], user: Any) -> None:
    for query in ("Aliyev", "Əliyev", "Алиев", "ALIEV"):
        results = search(query, user=user)
        titles = found(results)
        assert ("item", "Statement AZ") in titles, query
        assert ("item", "Сообщение") in titles, query
        assert ("actor", "Ilham Aliyev") in titles, query
        assert ("item", "Վկայություն") not in titles, query


def test_stepanakert_finds_armenian_and_russian(corpus: dict[str, Any], user: Any) -> None:
    results = search("Stepanakert", user=user)
    titles = found(results)
    assert ("place", "Stepanakert / Khankendi") in titles  # a shared gazetteer place
    assert ("incident", "Shelling of Stepanakert") in titles
    assert ("claim", "There was no electricity in Stepanakert.") in titles
    # "Ստեփանակերտում" is a declined form: not the same word, so not matched; the Armenian
    # name itself is found through the place's names.
    assert found(search("Ստեփանակերտ", user=user)) >= {("place", "Stepanakert / Khankendi"),
                                                       ("incident", "Shelling of Stepanakert")}
    assert ("place", "Stepanakert / Khankendi") in found(search("Xankendi", user=user))
    assert ("place", "Stepanakert / Khankendi") in found(search("Ханкенди", user=user))


def test_every_word_must_match(corpus: dict[str, Any], user: Any) -> None:
    titles = found(search("Shelling Stepanakert", user=user))
    assert titles == {("incident", "Shelling of Stepanakert")}
    assert search("Stepanakert nonexistentword", user=user).total == 0


def test_snippets_mark_the_original_words(corpus: dict[str, Any], user: Any) -> None:
    results = search("Aliyev", user=user)
    by_title = {h.title: h for h in results.hits}
    assert "<mark>Əliyev</mark>" in by_title["Statement AZ"].snippet_html
    assert "<mark>Алиев</mark>" in by_title["Сообщение"].snippet_html
    assert by_title["Сообщение"].matched == ["Алиев"]
    assert "Алиев" in by_title["Сообщение"].snippet


def test_snippets_are_escaped() -> None:
    keys = frozenset({"aliev"})
    html, plain, matched = snippet('<script>alert("x")</script> & Aliyev <b>', keys)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert "<mark>Aliyev</mark>" in html
    assert matched == ["Aliyev"]
    assert plain.startswith("<script>")


def test_snippet_window_is_around_the_match() -> None:
    text = " ".join(f"word{i}" for i in range(200)) + " Stepanakert " + "tail " * 50
    html, plain, _ = snippet(text, frozenset({"stepanakert"}))
    assert "<mark>Stepanakert</mark>" in html
    assert plain.startswith("…") and plain.endswith("…")
    assert "word0 " not in plain


def test_facets_count_and_filter(corpus: dict[str, Any], user: Any, case: Any) -> None:
    results = search("Stepanakert", user=user)
    facets = {name: {v.value: v.count for v in values} for name, values in results.facets.items()}
    assert facets["type"] == {"place": 1, "incident": 1, "claim": 1}
    assert facets["case"] == {case.slug: 2, "": 1}
    assert facets["incident_type"] == {"Explosions/Remote violence": 1}
    assert facets["year"] == {"2023": 2}
    assert facets["place"] == {str(corpus["place"].pk): 3}

    only = search("Stepanakert", user=user, filters=SearchFilters(types=["incident"]))
    assert found(only) == {("incident", "Shelling of Stepanakert")}
    assert only.total == 1

    aliyev = search("Aliyev", user=user, filters=SearchFilters(item_kinds=["message"]))
    assert found(aliyev) == {("item", "Сообщение")}

    dated = search("Aliyev", user=user,
                   filters=SearchFilters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31)))
    assert found(dated) == {("item", "Statement AZ")}

    blockade = search("blockade", user=user)
    assert {v.value for v in blockade.facets["incident_type"]} == {"Strategic developments"}
    at_shusha = search("blockade", user=user, filters=SearchFilters(place=corpus["shusha"].pk))
    assert found(at_shusha) == {("incident", "Blockade of the Lachin corridor")}

    with pytest.raises(UserError):
        search("Aliyev", user=user, filters=SearchFilters(types=["nonsense"]))


def test_non_members_see_nothing_of_a_case(
    corpus: dict[str, Any], user: Any, outsider: Any, case: Any
) -> None:
    other = create_case("other-case", "Other case", owner=outsider)
    text_item(other, "Mallory's note", "Aliyev visited Stepanakert secretly.")
    Incident.objects.create(case=other, title="Secret Aliyev meeting", date="2023-01")

    mine = search("Aliyev", user=user)
    assert all(h.case_slug in (case.slug, None) for h in mine.hits)
    assert "Mallory's note" not in {h.title for h in mine.hits}
    assert "other-case" not in {v.value for v in mine.facets["case"]}

    theirs = search("Aliyev", user=outsider)
    assert {h.title for h in theirs.hits} == {"Mallory's note", "Secret Aliyev meeting"}
    assert all("Əliyev" not in h.snippet for h in theirs.hits)
    # Shared gazetteer places are for everyone; the case's incidents and claims are not.
    assert found(search("Stepanakert", user=outsider)) == {
        ("place", "Stepanakert / Khankendi"), ("item", "Mallory's note")}

    with pytest.raises(NotFound):
        search("Aliyev", user=outsider, filters=SearchFilters(cases=[case.slug]))
    with pytest.raises(NotFound):
        search("Aliyev", user=user, filters=SearchFilters(cases=["no-such-case"]))
    assert search("Aliyev", user=None).total == 0

    operator = search("Aliyev", operator=True)
    assert {h.case_slug for h in operator.hits} == {case.slug, "other-case"}


def test_viewers_search_titles_but_not_text(corpus: dict[str, Any], django_user_model: Any,
                                            case: Any) -> None:
    django_user_model.objects.create_user(username="vera", password="correct-horse-9")
    viewer = django_user_model.objects.get(username="vera")
    set_member(case.slug, "vera", "viewer")
    assert search("Aliyev", user=viewer).total == 1  # the actor only, not the items' text
    assert found(search("Сообщение", user=viewer)) == {("item", "Сообщение")}
    set_member(case.slug, "vera", "analyst")
    assert ("item", "Сообщение") in found(search("Aliyev", user=viewer))


def test_index_follows_edits_and_deletes(corpus: dict[str, Any], user: Any) -> None:
    battle = corpus["battle"]
    battle.title = "Shelling of Shusha"
    battle.save()
    assert ("incident", "Shelling of Shusha") in found(search("Shusha", user=user))
    assert ("incident", "Shelling of Stepanakert") not in found(search("Stepanakert", user=user))

    actor = corpus["actor"]
    ActorName.objects.create(actor=actor, name="Ильхам Гейдар оглы Алиев")
    assert ("actor", "Ilham Aliyev") in found(search("Geydar", user=user))

    corpus["blockade"].delete()
    assert search("Lachin", user=user).total == 0

    battle.places.remove(corpus["place"])
    facets = search("Shusha", user=user, filters=SearchFilters(types=["incident"])).facets
    assert facets["place"] == []


def test_reindex_rebuilds_from_the_records(corpus: dict[str, Any], user: Any) -> None:
    before = {(h.record_type, h.record_id) for h in search("Aliyev", user=user).hits}
    SearchEntry.objects.all().delete()
    assert search("Aliyev", user=user).total == 0
    counts = reindex()
    assert counts == {"item": 3, "claim": 1, "incident": 2, "actor": 1, "place": 2}
    assert {(h.record_type, h.record_id) for h in search("Aliyev", user=user).hits} == before


def test_fuzzy_fallback_finds_prefixes(corpus: dict[str, Any], user: Any) -> None:
    results = search("Stepanak", user=user)
    assert results.fuzzy
    assert ("place", "Stepanakert / Khankendi") in found(results)
    assert not search("Stepanakert", user=user).fuzzy


def test_import_indexes_item_text(case: Any, user: Any, make_files: Any) -> None:
    from vestige.evidence.importing import Importer

    folder = make_files({"witness.txt": "Witness saw soldiers near Şuşa on 9 November.".encode()})
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    results = search("Shusha", user=user)
    assert [h.title for h in results.hits] == ["witness.txt"]
    assert "<mark>Şuşa</mark>" in results.hits[0].snippet_html


def test_api_search(corpus: dict[str, Any], user: Any, outsider: Any, case: Any) -> None:
    client = Client()
    client.force_login(user)
    response = client.get("/api/search", {"q": "Алиев", "type": ["item", "actor"]})
    assert response.status_code == 200
    body = response.json()
    assert {(h["type"], h["title"]) for h in body["hits"]} == {
        ("item", "Statement AZ"), ("item", "Сообщение"), ("actor", "Ilham Aliyev")}
    assert body["total"] == 3 and body["approximate"] is False
    assert {f["value"] for f in body["facets"]["type"]} == {"item", "actor"}
    assert any("<mark>" in h["snippet_html"] for h in body["hits"])

    client.force_login(outsider)
    assert client.get("/api/search", {"q": "Aliyev", "case": case.slug}).status_code == 404
    assert client.get("/api/search", {"q": "Aliyev"}).json()["total"] == 0
    assert Client().get("/api/search", {"q": "Aliyev"}).status_code == 401


def test_search_page(corpus: dict[str, Any], user: Any, outsider: Any, case: Any) -> None:
    client = Client()
    client.force_login(user)
    page = client.get("/search/", {"q": "Stepanakert"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<mark>Stepanakert</mark>" in html
    assert "3 results" in html
    assert "Kind of record" in html and "Incident type" in html
    assert f'/cases/{case.slug}/items/{corpus["armenian"].pk}/' in html  # the claim's item
    narrowed = client.get("/search/", {"q": "Stepanakert", "type": "incident"}).content.decode()
    assert "1 result<" in narrowed
    assert "Shelling of <mark>Stepanakert</mark>" in narrowed

    client.force_login(outsider)
    hidden = client.get("/search/", {"q": "Shelling"}).content.decode()
    assert "Nothing found" in hidden and "Stepanakert" not in hidden
    assert client.get("/search/", {"q": "Aliyev", "case": case.slug}).status_code == 404
    assert Client().get("/search/", {"q": "Aliyev"}).status_code == 302  # to the login page


def test_cli_search_and_reindex(cli_env: dict[str, str]) -> None:
    vestige(["init"], cli_env, check=True)
    vestige(["case", "create", "nk", "--title", "NK"], cli_env, check=True)
    script = (
        "from vestige.cli.base import setup_django; setup_django();"
        "from vestige.cases.models import Case, Incident;"
        "Incident.objects.create(case=Case.objects.get(slug='nk'), title='Əliyev speech',"
        " date='2023-09-20', event_type='Strategic developments')"
    )
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", script], env=cli_env, check=True)
    out = vestige(["search", "Aliyev", "--json"], cli_env, check=True)
    body = json.loads(out.stdout)
    assert [(h["type"], h["title"], h["case"]) for h in body["hits"]] == [
        ("incident", "Əliyev speech", "nk")]
    text = vestige(["search", "Алиев", "--case", "nk"], cli_env, check=True).stdout
    assert "[Əliyev] speech" in text or "Əliyev speech" in text
    reindexed = vestige(["search", "--reindex", "--json"], cli_env, check=True)
    assert json.loads(reindexed.stdout)["reindexed"]["incident"] == 1
    missing = vestige(["search", "Aliyev", "--case", "nope"], cli_env)
    assert missing.returncode == 2 and "no case" in missing.stderr
    assert "Example:" in vestige(["search", "--help"], cli_env, check=True).stdout


def test_many_matches_are_ranked_within_a_window(
    corpus: dict[str, Any], user: Any, outsider: Any, monkeypatch: Any
) -> None:
    from vestige.search import service

    other = create_case("other-case", "Other case", owner=outsider)
    for n in range(4):
        text_item(other, f"Mallory {n}", "Aliyev again.")
    monkeypatch.setattr(service, "WINDOW", 2)
    results = search("Aliyev", user=user)
    assert results.approximate
    assert 1 <= results.total <= 2
    assert all(h.case_slug == "test-case" for h in results.hits)  # the window keeps to scope
    theirs = search("Aliyev", user=outsider)
    assert theirs.approximate and {h.case_slug for h in theirs.hits} == {"other-case"}
    assert not search("Lachin", user=user).approximate


def test_places_written_in_bulk_are_indexed_on_request(user: Any, case: Any) -> None:
    from vestige.search.index import index_places

    (place,) = Place.objects.bulk_create([Place(name="Berdzor")])
    if place.pk is None:  # backends that return no ids
        place = Place.objects.get(name="Berdzor")
    PlaceName.objects.bulk_create([PlaceName(place=place, name="Լաչին", folded="")])
    assert search("Lachin", user=user).total == 0  # bulk inserts send no signals
    assert index_places([place]) == 1
    assert found(search("Լաչին", user=user)) == {("place", "Berdzor")}


@pytest.mark.django_db
def test_seeded_gazetteer_places_are_searchable(user: Any) -> None:
    from vestige.cases.gazetteer import seed_gazetteer

    seed_gazetteer(["AZ"])
    found = search("Gəncə", user=user)
    assert any(h.record_type == "place" and "Ganja" in h.title for h in found.hits), found
