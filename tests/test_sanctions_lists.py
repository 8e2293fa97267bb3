"""Sanctions lists: every format imports into one versioned store (issue 6)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from django.db.models import Count

from tests.conftest import shared_file, vestige
from vestige.core.errors import UserError
from vestige.sanctions.importing import ListFormatError, import_file
from vestige.sanctions.models import ListedEntity, ListedName, SanctionsList
from vestige.sanctions.records import EntityRecord
from vestige.sanctions.store import create_list, import_entities, lists_as_of

DATA = Path(__file__).resolve().parent / "data" / "sanctions"
pytestmark = pytest.mark.django_db


def entity(lst: SanctionsList, entity_id: str) -> ListedEntity:
    return ListedEntity.objects.get(list=lst, entity_id=entity_id)


def names(found: ListedEntity, kind: str | None = None) -> set[str]:
    rows = ListedName.objects.filter(entity=found)
    if kind:
        rows = rows.filter(kind=kind)
    return set(rows.values_list("name", flat=True))


# --- the real OFAC legacy CSV -------------------------------------------------------------


@pytest.fixture
def ofac_2019() -> SanctionsList:
    sdn = shared_file("ofac_sdn_2019_sdn.csv")
    shared_file("ofac_sdn_2019_alt.csv")
    result = import_file("ofac-csv", sdn, as_of=date(2019, 1, 15))
    assert result.created
    return result.list


def test_ofac_csv_counts_and_versions(ofac_2019: SanctionsList) -> None:
    assert ofac_2019.source == "ofac"
    assert ofac_2019.published == date(2019, 1, 15)
    assert ofac_2019.entity_count == 7379 == ofac_2019.entities.count()
    # 7,379 primary names, 9,682 alt.csv rows (one duplicate spelling), weak a.k.a.s in remarks
    total = ListedName.objects.filter(entity__list=ofac_2019).count()
    assert total == ofac_2019.name_count
    assert ListedName.objects.filter(entity__list=ofac_2019, kind="primary").count() == 7379
    assert ListedName.objects.filter(entity__list=ofac_2019, kind="fka").count() >= 331
    assert ListedName.objects.filter(entity__list=ofac_2019, kind="weak_aka").count() > 1500
    schemas = dict(ofac_2019.entities.values_list("schema").annotate(n=Count("id")))
    assert schemas == {"person": 3845, "organization": 2994, "vessel": 323, "aircraft": 217}


def test_ofac_csv_real_entries(ofac_2019: SanctionsList) -> None:
    leontyev = entity(ofac_2019, "13086")
    assert leontyev.primary_name == "LEONTYEV, Vladislav Vladimirovich"
    assert leontyev.schema == "person"
    assert leontyev.programmes == ["TCO"]
    assert leontyev.birth_dates == ["1971-07-05"]
    assert leontyev.nationalities == ["RU"]
    assert leontyev.gender == "male"
    assert {"type": "passport", "value": "515731854", "country": "RU"} in leontyev.identifiers
    assert {"type": "passport", "value": "AK0517906", "country": "GR"} in leontyev.identifiers
    assert {"type": "national_id", "value": "60229551", "country": "AE"} in leontyev.identifiers
    assert {"BELYY", "VADIM BELYY"} <= names(leontyev, "weak_aka")
    assert leontyev.raw["birth_places"] == ["Nizhny Novgorod, Russia"]

    zawahiri = entity(ofac_2019, "2676")
    assert zawahiri.programmes == ["SDGT", "SDT"]  # "SDGT] [SDT" in the file
    assert zawahiri.birth_dates == ["1951-06-19"]

    popov = entity(ofac_2019, "10030")  # DOB 13 Feb 1961; alt. DOB 13 Feb 1965
    assert popov.birth_dates == ["1961-02-13", "1965-02-13"]

    bank = entity(ofac_2019, "306")
    assert bank.schema == "organization"
    assert names(bank, "aka") == {"NATIONAL BANK OF CUBA"}  # from alt.csv
    assert names(bank, "weak_aka") == {"BNC"}  # from remarks
    assert names(bank, "primary") == {"BANCO NACIONAL DE CUBA"}


def test_ofac_csv_needs_a_date_and_reimport_is_a_no_op(ofac_2019: SanctionsList) -> None:
    sdn = shared_file("ofac_sdn_2019_sdn.csv")
    again = import_file("ofac-csv", sdn, as_of=date(2019, 1, 15))
    assert not again.created and again.list.pk == ofac_2019.pk
    assert "already imported" in again.message
    assert SanctionsList.objects.count() == 1
    assert ListedEntity.objects.count() == 7379


def test_ofac_csv_without_as_of_is_refused(tmp_path: Path) -> None:
    sdn = shared_file("ofac_sdn_2019_sdn.csv")
    with pytest.raises(UserError, match=r"no publication date.*--as-of"):
        import_file("ofac-csv", sdn)
    assert not SanctionsList.objects.exists()


# --- the sample files of the other formats ------------------------------------------------


def test_ofac_xml() -> None:
    lst = import_file("ofac-xml", DATA / "ofac_sdn_sample.xml").list
    assert (lst.source, lst.published, lst.entity_count) == ("ofac", date(2024, 3, 14), 4)
    karimov = entity(lst, "90001")
    assert karimov.primary_name == "KARIMOV, Tural Elchin oglu"
    assert names(karimov, "aka") == {"KƏRİMOV, Tural Elçin oğlu", "КЕРИМОВ, Турал Эльчин оглы"}
    assert names(karimov, "weak_aka") == {"TURAN"}
    scripts = dict(ListedName.objects.filter(entity=karimov).values_list("name", "script"))
    assert scripts["КЕРИМОВ, Турал Эльчин оглы"] == "Cyrillic"
    assert scripts["KƏRİMOV, Tural Elçin oğlu"] == "Latin"
    assert karimov.birth_dates == ["1962-03-12"]
    assert karimov.nationalities == ["AZ"]
    assert karimov.gender == "male"
    assert karimov.identifiers == [{"type": "passport", "value": "C01234567", "country": "AZ"}]
    assert karimov.programmes == ["GLOMAG", "RUSSIA-EO14024"]
    petrenko = entity(lst, "90002")
    assert petrenko.nationalities == ["RU", "UA"]
    assert petrenko.birth_dates == ["1975", "1976"]
    shipping = entity(lst, "90003")
    assert shipping.schema == "organization"
    assert names(shipping, "fka") == {"CASPIAN STAR TRADING"}
    vessel = entity(lst, "90004")
    assert vessel.schema == "vessel"
    assert vessel.identifiers == [{"type": "imo", "value": "9876543", "country": ""}]


def test_ftm() -> None:
    lst = import_file("ftm", DATA / "opensanctions_sample.ftm.json").list
    # newest last_change in the file dates it; Sanction, Passport and Address are not listed
    assert (lst.source, lst.published, lst.entity_count) == ("opensanctions", date(2024, 4, 2), 4)
    assert "us_ofac_sdn" in lst.name
    guliyev = entity(lst, "NK-a1")
    assert guliyev.schema == "person"
    assert names(guliyev, "aka") == {"Rəşad İlqar oğlu Quliyev", "Рашад Ильгар оглы Гулиев"}
    assert names(guliyev, "weak_aka") == {"Rasho"}
    assert guliyev.birth_dates == ["1979-08-21"]
    assert guliyev.nationalities == ["AZ"]
    assert guliyev.identifiers == [{"type": "passport", "value": "C02468135", "country": ""}]
    # its programme comes from a Sanction entity that precedes it in the file
    assert guliyev.programmes == ["US-GLOMAG", "Global Magnitsky"]
    sokolova = entity(lst, "NK-b2")
    assert "Анна Юрьевна Соколова" in names(sokolova, "aka")
    assert names(sokolova, "fka") == {"Anna Yuryevna Orlova"}
    assert sokolova.nationalities == ["RU", "BY"]
    assert sokolova.birth_dates == ["1983-02"]
    assert sokolova.gender == "female"
    assert {"type": "passport", "value": "754321098", "country": "RU"} in sokolova.identifiers
    assert entity(lst, "NK-c3").schema == "organization"
    assert entity(lst, "NK-d4").schema == "vessel"


def test_un_xml() -> None:
    lst = import_file("un-xml", DATA / "un_consolidated_2023.xml").list
    assert (lst.source, lst.published, lst.entity_count) == ("un", date(2023, 6, 1), 3)
    ramiz = entity(lst, "AZi.001")
    assert ramiz.primary_name == "RAMIZ SABIR OGLU MAMMADLI"
    assert names(ramiz, "aka") == {"Рамиз Сабир оглы Мамедли", "Ramiz Sabir oğlu Məmmədli"}
    assert names(ramiz, "weak_aka") == {"Ramiz Sabirovich"}
    assert ramiz.birth_dates == ["1970-05-04"]
    assert ramiz.nationalities == ["AZ"]
    assert ramiz.gender == "male"
    assert ramiz.programmes == ["Nagorno-Karabakh"]
    assert ramiz.identifiers == [{"type": "passport", "value": "P9876543", "country": "AZ"}]
    volkov = entity(lst, "RUi.014")
    assert "Волков Дмитрий Сергеевич" in names(volkov, "aka")
    assert volkov.birth_dates == ["1958", "1959", "1960"]
    assert volkov.nationalities == ["RU"]
    company = entity(lst, "RUe.003")
    assert company.schema == "organization"
    assert names(company, "fka") == {"Severny Put LLC"}


def test_eu_xml() -> None:
    lst = import_file("eu-xml", DATA / "eu_consolidated_sample.xml").list
    assert (lst.source, lst.published, lst.entity_count) == ("eu", date(2024, 2, 20), 3)
    morozov = entity(lst, "140001")
    assert morozov.primary_name == "Sergei Ivanovich Morozov"
    assert names(morozov, "aka") == {
        "Сергей Иванович Морозов",
        "Siarhei Ivanavich Marozau",
        "Сяргей Іванавіч Марозаў",
    }
    assert morozov.programmes == ["BLR", "RUS"]
    assert morozov.nationalities == ["BY"]
    assert morozov.birth_dates == ["1968-11-02"]
    assert morozov.gender == "male"
    assert morozov.identifiers == [{"type": "passport", "value": "MP1234567", "country": "BY"}]
    assert morozov.raw["eu_reference_number"] == "EU.9001.12"
    volga = entity(lst, "140002")
    assert volga.schema == "organization"
    assert names(volga, "weak_aka") == {"Volga Log"}
    hasanova = entity(lst, "140003")
    assert hasanova.birth_dates == ["1981"]
    assert hasanova.gender == "female"
    assert "Leyla Həsənova" in names(hasanova)


# --- versions ---------------------------------------------------------------------------


def test_as_of_selects_the_version_in_force() -> None:
    old = import_file("un-xml", DATA / "un_consolidated_2023.xml").list
    new = import_file("un-xml", DATA / "un_consolidated_2024.xml").list
    eu = import_file("eu-xml", DATA / "eu_consolidated_sample.xml").list
    assert lists_as_of(date(2023, 1, 1)) == []
    assert lists_as_of(date(2023, 6, 1)) == [old]
    assert lists_as_of(date(2024, 3, 1)) == [eu, old]
    assert lists_as_of(date(2024, 5, 10)) == [eu, new]
    assert lists_as_of() == [eu, new]
    # the person delisted in 2024 is still on the 2023 version, the new one only on 2024's
    assert old.entities.filter(entity_id="RUi.014").exists()
    assert not new.entities.filter(entity_id="RUi.014").exists()
    assert new.entities.filter(entity_id="AMi.002").exists()
    armen = entity(new, "AMi.002")
    scripts = dict(ListedName.objects.filter(entity=armen).values_list("name", "script"))
    assert scripts["Արմեն Հովհաննիսյան"] == "Armenian"


def test_reimport_is_a_no_op_and_a_different_file_for_the_same_date_is_refused(
    tmp_path: Path,
) -> None:
    first = import_file("un-xml", DATA / "un_consolidated_2023.xml")
    again = import_file("un-xml", DATA / "un_consolidated_2023.xml")
    assert first.created and not again.created
    assert again.list.pk == first.list.pk and "nothing changed" in again.message
    changed = tmp_path / "un.xml"
    changed.write_text(
        (DATA / "un_consolidated_2023.xml").read_text().replace("Dima Volk", "Dima Volkov")
    )
    with pytest.raises(UserError, match="already imported from a different file"):
        import_file("un-xml", changed)
    moved = import_file("un-xml", changed, as_of=date(2023, 7, 1))  # another date: a new version
    assert moved.created and moved.list.published == date(2023, 7, 1)
    assert SanctionsList.objects.filter(source="un").count() == 2


# --- bad files ----------------------------------------------------------------------------


def test_broken_xml_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "sdn.xml"
    text = (DATA / "ofac_sdn_sample.xml").read_text()
    broken.write_text(text.replace("<lastName>CASPIAN DAWN</lastName>", "<lastName>CASPIAN DAWN"))
    with pytest.raises(ListFormatError, match=r"sdn\.xml: line \d+, column \d+: not well-formed"):
        import_file("ofac-xml", broken)
    assert not SanctionsList.objects.exists()  # one transaction: nothing half-imported


def test_entry_without_id_names_the_element_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "un.xml"
    text = (DATA / "un_consolidated_2023.xml").read_text()
    broken.write_text(
        text.replace("<REFERENCE_NUMBER>RUi.014</REFERENCE_NUMBER>", "").replace(
            "<DATAID>6908002</DATAID>", ""
        )
    )
    with pytest.raises(ListFormatError, match=r"un\.xml: line \d+: <INDIVIDUAL> has no"):
        import_file("un-xml", broken)
    assert not SanctionsList.objects.exists()


def test_bad_csv_and_json_lines_name_the_line(tmp_path: Path) -> None:
    sdn = tmp_path / "sdn.csv"
    sdn.write_text('36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\n')
    with pytest.raises(ListFormatError, match=r"sdn\.csv: line 1: expected 12 columns"):
        import_file("ofac-csv", sdn, as_of=date(2019, 1, 1))
    ftm = tmp_path / "entities.ftm.json"
    lines = (DATA / "opensanctions_sample.ftm.json").read_text().splitlines()
    lines[2] = lines[2][:40]
    ftm.write_text("\n".join(lines) + "\n")
    with pytest.raises(ListFormatError, match=r"entities\.ftm\.json: line 3: not valid JSON"):
        import_file("ftm", ftm)
    wrong = tmp_path / "wrong.xml"
    shutil.copy(DATA / "eu_consolidated_sample.xml", wrong)
    with pytest.raises(ListFormatError, match="no entities found; is this a un-xml file"):
        import_file("un-xml", wrong, as_of=date(2024, 1, 1))
    assert not SanctionsList.objects.exists()


# --- the store API used by screening -----------------------------------------------------


def test_import_entities_in_batches() -> None:
    lst = create_list(
        source="generated",
        fmt="generated",
        name="generated",
        published=date(2024, 1, 1),
        file_sha256="0" * 64,
    )
    records = (
        EntityRecord(
            entity_id=str(number),
            primary_name=f"Name {number}",
            schema="person",
            names=[(f"Имя {number}", "aka")],
        )
        for number in range(1203)
    )
    calls: list[tuple[int, int]] = []
    added = import_entities(
        lst, records, batch_size=500, on_batch=lambda e, n: calls.append((e, n))
    )
    assert added == (1203, 2406)
    assert calls == [(500, 1000), (1000, 2000), (1203, 2406)]
    lst.refresh_from_db()
    assert (lst.entity_count, lst.name_count) == (1203, 2406)
    assert ListedName.objects.get(name="Имя 1202").entity.entity_id == "1202"


# --- the command line ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cli_import_and_show(cli_env: dict[str, str]) -> None:
    sdn = shared_file("ofac_sdn_2019_sdn.csv")
    refused = vestige(["lists", "import", "ofac-csv", str(sdn)], cli_env)
    assert refused.returncode == 2
    assert "--as-of" in refused.stderr and "Traceback" not in refused.stderr
    done = vestige(
        ["lists", "import", "ofac-csv", str(sdn), "--as-of", "2019-01-15"], cli_env, check=True
    )
    assert "7379 entities" in done.stdout
    again = vestige(
        ["lists", "import", "ofac-csv", str(sdn), "--as-of", "2019-01-15"], cli_env, check=True
    )
    assert "already imported" in again.stdout
    vestige(
        ["lists", "import", "eu-xml", str(DATA / "eu_consolidated_sample.xml")], cli_env, check=True
    )
    shown = vestige(["lists", "show", "--json"], cli_env, check=True)
    versions = json.loads(shown.stdout)
    assert [(v["source"], v["published"], v["entities"]) for v in versions] == [
        ("eu", "2024-02-20", 3),
        ("ofac", "2019-01-15", 7379),
    ]
    assert versions[1]["names"] > 7379 and versions[1]["imported_at"]
    table = vestige(["lists", "show"], cli_env, check=True)
    assert "2019-01-15" in table.stdout and "7379" in table.stdout
    missing = vestige(["lists", "import", "un-xml", "/nonexistent.xml"], cli_env)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_ftm_without_any_date_needs_as_of(tmp_path: Path) -> None:
    undated = tmp_path / "undated.ftm.json"
    entry = {"id": "x-1", "schema": "Person", "properties": {"name": ["Иван Петров"]}}
    undated.write_text(json.dumps(entry, ensure_ascii=False) + "\n")
    with pytest.raises(UserError, match="states no publication date"):
        import_file("ftm", undated)
    result = import_file("ftm", undated, as_of=date(2022, 2, 24), source="opensanctions-test")
    assert (result.list.source, result.list.entity_count) == ("opensanctions-test", 1)
    assert names(entity(result.list, "x-1"), "primary") == {"Иван Петров"}


def test_remarks_dates_and_countries() -> None:
    from vestige.core.countries import country_code
    from vestige.sanctions.importers.common import partial_dates
    from vestige.sanctions.importers.ofac_remarks import apply_remarks

    assert partial_dates("12 Mar 1962") == ["1962-03-12"]
    assert partial_dates("Mar 1962") == ["1962-03"]
    assert partial_dates("circa 1962") == ["1962"]
    assert partial_dates("1960 to 1962") == ["1960", "1961", "1962"]
    assert partial_dates("2024-05-01T17:00:04") == ["2024-05-01"]
    assert partial_dates("unknown") == []
    for name, code in [
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Korea, North", "KP"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Azərbaycan", ""),
        ("Azerbaijan", "AZ"),
        ("az", "AZ"),
    ]:
        assert country_code(name) == code, name
    record = EntityRecord(entity_id="1", primary_name="X")
    apply_remarks(
        record,
        "DOB circa 1970; nationality Atlantis; citizen Armenia; Tax ID No. 123-45 (Armenia); "
        "Phone Number 5551234; f.k.a. 'OLD NAME'.",
    )
    assert record.birth_dates == ["1970"]
    assert record.nationalities == ["AM"]
    assert record.raw["nationality_text"] == ["Atlantis"]
    assert record.identifiers == [{"type": "tax_id", "value": "123-45", "country": "AM"}]
    assert record.names == [("OLD NAME", "fka")]
