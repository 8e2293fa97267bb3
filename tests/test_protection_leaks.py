"""Leak tests of the protection registry: identities must not escape.

1. A dump of the database holds no identity field in clear text: the SQLite file, its WAL and
   everything else in the data folder (read before and after a checkpoint), or ``pg_dump`` of
   the PostgreSQL database with every bytea value decoded.
2. A member without the reveal permission (owner, investigator, analyst, reviewer, viewer) and
   an outsider cannot reveal or infer an identity through the web pages, the API, search,
   export bundles, the logs or error messages.
3. Non-members get 404 on every registry URL and API path, exactly as for a case that does
   not exist.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import vestige
from tests.registry_people import (
    HOUSEHOLD,
    IDENTITY_A,
    IDENTITY_B,
    SECRETS,
    leaked,
    make_members,
    make_people,
)
from vestige.evidence.bundles import export_case
from vestige.evidence.importing import Importer
from vestige.evidence.models import Item
from vestige.protection import services
from vestige.protection.models import ProtectionAudit

ROOT = Path(__file__).resolve().parents[1]


def json_escaped(values: list[str]) -> list[str]:
    """Each non-ASCII secret also as JSON writes it with ``ensure_ascii`` (``\\u0536…``)."""
    return [json.dumps(v)[1:-1] for v in values if not v.isascii()]


DUMP_SECRETS = SECRETS + json_escaped(SECRETS)


# ----------------------------------------------------------------- 1. the database dump


def _registry_csv(path: Path) -> Path:
    """A registry import file holding both distinctive people (the path P2's import takes)."""
    rows = [
        {
            "given_name": IDENTITY_A["given_name"], "family_name": IDENTITY_A["family_name"],
            "patronymic": IDENTITY_A["patronymic"],
            "other_names": ";".join(IDENTITY_A["other_names"]),
            "date_of_birth": IDENTITY_A["date_of_birth"], "phone": IDENTITY_A["contacts"][0],
            "email": IDENTITY_A["contacts"][1], "document_type": "passport",
            "document_number": "AK7781234", "address_before": IDENTITY_A["address_before"],
            "address_after": IDENTITY_A["address_after"], "notes": IDENTITY_A["notes"],
            "role": "victim", "displacement_date": "2023-09-26", "category": "loss_of_home",
            "household_size": "3",
            "household_members": f"{HOUSEHOLD[0]['given_name']} {HOUSEHOLD[0]['family_name']}",
            "consent_icc": "evidence", "consent_explained": "The ICC may read the statement.",
            "consent_given_on": "2024-03-02",
        },
        {
            "given_name": IDENTITY_B["given_name"], "family_name": IDENTITY_B["family_name"],
            "date_of_birth": IDENTITY_B["date_of_birth"], "phone": IDENTITY_B["contacts"][0],
            "document_type": "ID card", "document_number": "005518844", "role": "witness",
            "displacement_date": "2023-09",
        },
    ]
    fields = sorted({key for row in rows for key in row})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


# Run inside the CLI environment: everything a protection officer does after an import, so
# every table that protected data can touch has rows (audit with reasons, resealed identities,
# duplicates, linked items, consent withdrawn, the search index).
AFTER_IMPORT = r"""
import django, json, sys
from datetime import date
django.setup()
from django.contrib.auth import get_user_model
from vestige.cases.models import Case
from vestige.evidence.models import Item
from vestige.protection import services
from vestige.protection.models import ProtectedPerson, Consent

officer = get_user_model().objects.get(username="olga")
case = Case.objects.get(slug="leak-case")
people = list(ProtectedPerson.objects.filter(case=case).order_by("created_at"))
assert len(people) == 2, people
first, second = people
services.reveal_identity(first, officer, "Home visit with the field team")
services.update_identity(first, officer, {"address_after": "Flat 3, 8 Mashtots Avenue, Sisian"},
                         reason="moved")
again = services.create_person(case, user=officer, roles=["relative"],
                               identity=json.loads(sys.argv[1]))
services.find_duplicates(case, user=officer)
services.add_claim(second, user=officer, category="injury", date="2023-09-19",
                   household=json.loads(sys.argv[2]), household_size=2)
for consent in Consent.objects.filter(person=first):
    services.withdraw_consent(consent, user=officer, note="Withdrawn by telephone")
item = Item.objects.get(case=case)
services.link_item(first, item, "testimony", officer)
print("ok", first.pseudonym, second.pseudonym, again.pseudonym)
"""


def _prepare_instance(cli_env: dict[str, str], tmp_path: Path) -> None:
    """An instance with a case, a protection officer, two imported people and more."""
    vestige(["init"], cli_env, check=True)
    for name in ("amira", "olga"):
        vestige(["user", "create", name, "--password-stdin"], cli_env, check=True,
                input="correct-horse-9\n")
    vestige(["case", "create", "leak-case", "--title", "Leak test", "--owner", "amira"],
            cli_env, check=True)
    vestige(["case", "add-member", "leak-case", "olga", "--role", "protection_officer"],
            cli_env, check=True)
    statement = tmp_path / "statement" / "testimony-0001.txt"
    statement.parent.mkdir()
    statement.write_text("A statement given to the documentation team.\n", encoding="utf-8")
    vestige(["import", str(statement.parent), "--case", "leak-case"], cli_env, check=True)
    source = _registry_csv(tmp_path / "people.csv")
    imported = vestige(["registry", "import", str(source), "--case", "leak-case", "--as", "olga"],
                       cli_env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert leaked(imported.stdout + imported.stderr) == []
    env = {**cli_env, "DJANGO_SETTINGS_MODULE": "vestige.settings",
           "PYTHONPATH": str(ROOT / "src")}
    cyrillic = {"given_name": "Зорвахине", "family_name": "Квиллербек",
                "date_of_birth": IDENTITY_A["date_of_birth"]}
    household = [{"given_name": "Ishkhanuhi", "family_name": "Saltzarian", "relation": "wife"}]
    result = subprocess.run(
        [sys.executable, "-c", AFTER_IMPORT, json.dumps(cyrillic), json.dumps(household)],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert leaked(result.stdout + result.stderr) == []
    export = tmp_path / "bundle.zip"
    vestige(["export", "leak-case", "--out", str(export), "--recipient", "icc"], cli_env,
            check=True)
    assert _bundle_leaks(export) == []


def _bundle_leaks(path: Path) -> list[str]:
    """Secrets in an export bundle: in the zip's bytes or in any member once decompressed."""
    found = set(leaked(path.read_bytes(), DUMP_SECRETS))
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            found.update(leaked(name, DUMP_SECRETS))
            found.update(leaked(archive.read(name), DUMP_SECRETS))
    return sorted(found)


def _files_leaks(folder: Path) -> dict[str, list[str]]:
    """Secrets found in any file under ``folder`` (the database, its WAL, logs, blobs)."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            hits = leaked(path.read_bytes(), DUMP_SECRETS)
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


def _pg_dump() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p.parts[-3])])
    if not found:
        found = [Path(p) for p in [shutil.which("pg_dump")] if p]
    if not found:
        pytest.fail("pg_dump is not installed next to the PostgreSQL server binaries")
    return found[-1]


def _decoded_bytea(dump: str) -> bytes:
    """Every ``\\x…`` bytea literal of a text dump, decoded: clear text stored as bytes would
    otherwise hide in hexadecimal."""
    chunks = [bytes.fromhex(h) for h in re.findall(r"\\\\?x((?:[0-9a-f]{2})+)", dump)]
    return b"\n".join(chunks)


def test_database_dump_holds_no_identity_in_clear_text(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _prepare_instance(cli_env, tmp_path)
    data = Path(cli_env["VESTIGE_DATA_DIR"])
    url = cli_env.get("DATABASE_URL")
    if url:
        dump = subprocess.run([str(_pg_dump()), "--no-owner", f"--dbname={url}"],
                              capture_output=True, text=True, timeout=300, check=True).stdout
        assert "protection_protectedperson" in dump  # the dump has the registry in it
        assert leaked(dump, DUMP_SECRETS) == []
        assert leaked(_decoded_bytea(dump), DUMP_SECRETS) == []
    else:
        database = data / "vestige.sqlite3"
        assert database.exists()
        before = _files_leaks(data)  # the WAL holds the latest pages until a checkpoint
        connection = sqlite3.connect(database)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            count = connection.execute("SELECT count(*) FROM protection_protectedperson")
            assert count.fetchone()[0] == 3
        finally:
            connection.close()
        assert before == {}
        assert _files_leaks(data) == {}
    # Whatever the database, the rest of the data folder (blobs, keys, logs) holds none either.
    assert _files_leaks(data) == {}


def test_the_leak_check_itself_finds_clear_text(tmp_path: Path) -> None:
    """The scanners above would see an identity written in clear (they can fail)."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "x.json").write_text(json.dumps({"n": "Զորվախինե"}), encoding="utf-8")
    assert _files_leaks(folder) == {"x.json": [json.dumps("Զորվախինե")[1:-1]]}
    hexed = "COPY t (b) FROM stdin;\n\\\\x" + b"Quillerbeck".hex() + "\n"
    assert leaked(_decoded_bytea(hexed), DUMP_SECRETS) == ["Quillerbeck"]


# ------------------------------------------------ 2. no reveal without the reveal permission


@pytest.fixture
def registry(case: Any, user: Any, outsider: Any, django_user_model: Any,
             make_files: Any) -> dict[str, Any]:
    accounts = make_members(case, django_user_model)
    made = make_people(case, accounts["olga"])
    folder = make_files({"statement-of-Zorvakhine-Quillerbeck.txt":
                         b"Statement given in Goris by Zorvakhine Quillerbeck.\n"})
    Importer(case, actor="amira", user=user, workers=1).run([folder])
    item = Item.objects.get(case=case)
    services.link_item(made["a"], item, "testimony", accounts["olga"])
    return {**accounts, **made, "amira": user, "mallory": outsider, "item": item}


def _registry_paths(people: dict[str, Any], slug: str = "test-case") -> list[str]:
    first = people["a"]
    consent = first.consents.first()
    return [
        reverse("registry-list", args=[slug]),
        reverse("registry-list", args=[slug]) + "?role=victim&sort=-pseudonym",
        reverse("registry-person-create", args=[slug]),
        reverse("registry-claims", args=[slug]),
        reverse("registry-statistics", args=[slug]),
        reverse("registry-statistics-csv", args=[slug]),
        reverse("registry-duplicates", args=[slug]),
        reverse("registry-audit", args=[slug]),
        reverse("registry-person", args=[slug, first.pk]),
        reverse("registry-reveal", args=[slug, first.pk]),
        reverse("registry-consent-create", args=[slug, first.pk]),
        reverse("registry-consent-withdraw", args=[slug, first.pk, consent.pk]),
        reverse("registry-claim-create", args=[slug, first.pk]),
        reverse("registry-duplicate", args=[slug, 1]),
        f"/api/cases/{slug}/registry",
        f"/api/cases/{slug}/registry/{first.pk}",
        f"/api/cases/{slug}/registry?role=nonsense",
        f"/api/cases/{slug}/registry/not-a-uuid",
    ]


NO_REVEAL = ["amira", "ivan", "ana", "rita", "vera", "mallory"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", NO_REVEAL)
def test_no_identity_reaches_a_member_without_reveal(
    client: Any, registry: dict[str, Any], who: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.force_login(registry[who])
    first = registry["a"]
    seen: list[tuple[str, int, list[str]]] = []
    for path in _registry_paths(registry):
        response = client.get(path)
        assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
        seen.append((path, response.status_code, leaked(response.content)))
    reveal = reverse("registry-reveal", args=["test-case", first.pk])
    response = client.post(reveal, {"reason": "Curious about who this is"})
    assert response.status_code in (403, 404)
    seen.append((reveal, response.status_code, leaked(response.content)))
    # Asking the services directly is refused too, and the refusal names no one.
    with pytest.raises(Exception) as refused:
        services.reveal_identity(first, registry[who], "curious")
    assert leaked(str(refused.value)) == []
    # A forged new-person form carrying an identity is refused without echoing it.
    forged = client.post(reverse("registry-person-create", args=["test-case"]),
                         {**{k: v for k, v in IDENTITY_A.items() if isinstance(v, str)},
                          "roles": ["victim"]})
    assert forged.status_code in (403, 404)
    seen.append(("forged", forged.status_code, leaked(forged.content)))

    assert [s for s in seen if s[2]] == []
    assert leaked(caplog.text) == []
    assert not ProtectionAudit.objects.filter(action="reveal").exists()
    if who == "mallory":
        assert {status for _, status, _ in seen} == {404}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["amira", "ivan", "vera", "mallory", "olga"])
def test_search_finds_no_one_by_their_identity(
    client: Any, registry: dict[str, Any], who: str
) -> None:
    """Identities are never indexed: no search finds a protected person by name, number or
    birth date, not even an officer's. The item titled with the name is restricted: only a
    protection officer finds it."""
    from vestige.search.service import search

    client.force_login(registry[who])
    for query in ["Zorvakhine", "Quillerbeck", "Зорвахине", "AK7781234", "Brunhovak",
                  "Ishkhanuhi", "Saltzarian"]:
        results = search(query, user=registry[who])
        found = [h for h in results.hits if h.record_type != "item"]
        assert found == [], (query, found)
        items = [h for h in results.hits if h.record_type == "item"]
        if who != "olga":
            assert items == [], (query, items)
        page = client.get(reverse("search"), {"q": query})
        assert page.status_code == 200
        api = client.get("/api/search", {"q": query})
        assert api.status_code == 200
        if who != "olga":
            # The page repeats the query in its search box; nothing else may appear.
            others = [s for s in SECRETS if s.casefold() not in query.casefold()]
            assert leaked(page.content, others) == [], query
            assert leaked(api.content, others) == [], query
            assert api.json()["total"] == 0


@pytest.mark.django_db
def test_export_bundles_carry_no_identity(
    registry: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without consent for the recipient, the testimony (whose file name names the person) is
    withheld; with it (ICC, evidence), the testimony goes in as the person agreed, but still
    nothing from the sealed record does."""
    caplog.set_level(logging.DEBUG)
    item = registry["item"]
    in_the_item = ["Zorvakhine", "Quillerbeck"]  # the file's own name and text
    for recipient in [None, "media", "public", "icc"]:
        out = tmp_path / f"bundle-{recipient}.zip"
        manifest = export_case(registry["a"].case, out, actor="amira", user=registry["amira"],
                               recipient=recipient)
        text = json.dumps(manifest, default=str)
        consented = recipient == "icc"
        assert (item.title in text) is consented, recipient
        secrets = [s for s in DUMP_SECRETS if not (consented and s in in_the_item)]
        assert leaked(text, secrets) == [], recipient
        found = set(leaked(out.read_bytes(), secrets))
        with zipfile.ZipFile(out) as archive:
            for name in archive.namelist():
                found.update(leaked(name, secrets) + leaked(archive.read(name), secrets))
        assert found == set(), recipient
    assert leaked(caplog.text) == []


@pytest.mark.django_db
def test_error_messages_never_echo_identity_values(
    client: Any, registry: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Bad input from an officer gets messages naming the field, never the stored values."""
    caplog.set_level(logging.DEBUG)
    officer = registry["olga"]
    client.force_login(officer)
    first = registry["a"]
    bad = client.post(reverse("registry-person-create", args=["test-case"]), {
        "given_name": "Brunhovak", "date_of_birth": "1972-02-03x", "roles": ["nobody"],
        "place_of_origin": "Quillerbeck-village",
    })
    errors = bad.context["form"].errors.as_json()
    assert leaked(errors) == []  # the typed values are in the fields, not in the messages
    assert "no-store" in bad["Cache-Control"]
    for wrong in [{"given_name": "", "family_name": "", "patronymic": "", "other_names": []},
                  {"nickname": "Zorvakhine"}]:
        with pytest.raises(Exception) as problem:
            services.update_identity(first, officer, wrong, reason="test")
        assert leaked(str(problem.value)) == []
    empty = client.post(reverse("registry-reveal", args=["test-case", first.pk]), {"reason": ""})
    assert leaked(empty.content) == []
    stray = client.get(f"/api/cases/test-case/registry/{registry['item'].pk}")
    assert stray.status_code == 404 and leaked(stray.content) == []
    assert leaked(caplog.text) == []


# --------------------------------------------------------- 3. non-members always get 404


@pytest.mark.django_db
def test_non_members_get_404_on_every_registry_url(
    client: Any, registry: dict[str, Any]
) -> None:
    client.force_login(registry["mallory"])
    first = registry["a"]
    for path in _registry_paths(registry):
        assert client.get(path).status_code == 404, path
    for name, args in [("registry-reveal", [first.pk]), ("registry-person-create", []),
                       ("registry-consent-create", [first.pk]),
                       ("registry-claim-create", [first.pk]),
                       ("registry-duplicate-scan", []), ("registry-duplicate", [1])]:
        path = reverse(name, args=["test-case", *args])
        assert client.post(path, {"reason": "x" * 20}).status_code == 404, path
    # The same answer as for a case that does not exist at all.
    assert client.get(reverse("registry-list", args=["no-such-case"])).status_code == 404
    assert client.get("/api/cases/no-such-case/registry").status_code == 404


@pytest.mark.django_db
def test_api_lists_pseudonyms_only_even_to_officers(client: Any, registry: dict[str, Any]) -> None:
    client.force_login(registry["olga"])
    listing = client.get("/api/cases/test-case/registry")
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 2
    assert {p["pseudonym"] for p in body["people"]} == {registry["a"].pseudonym,
                                                        registry["b"].pseudonym}
    detail = client.get(f"/api/cases/test-case/registry/{registry['a'].pk}").json()
    assert detail["linked_items_count"] == 1
    assert [c["use"] for c in detail["consents"]] == ["evidence", "publication"]
    assert detail["claims"][0]["household_size"] == 3
    assert leaked(listing.content) == [] and leaked(json.dumps(detail)) == []
    witnesses = client.get("/api/cases/test-case/registry", {"role": "witness"}).json()
    assert [p["pseudonym"] for p in witnesses["people"]] == [registry["b"].pseudonym]
    assert ProtectionAudit.objects.filter(action="read", user=registry["olga"]).count() == 1
    token_less = client.get("/api/cases/test-case/registry", HTTP_AUTHORIZATION="Bearer nope")
    assert token_less.status_code == 401
