"""EDTF bounds and cross-script name folding: the small pieces the case graph stands on."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vestige.core.edtf import is_edtf, parse_edtf
from vestige.core.errors import UserError
from vestige.core.names import fold_text, name_keys, names_match, script_of


@pytest.mark.parametrize(
    ("value", "lower", "upper", "precision"),
    [
        ("2023-09-20", date(2023, 9, 20), date(2023, 9, 20), "day"),
        ("2023-09", date(2023, 9, 1), date(2023, 9, 30), "month"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month"),
        ("2020", date(2020, 1, 1), date(2020, 12, 31), "year"),
        ("2020-11~", date(2020, 11, 1), date(2020, 11, 30), "month"),
        ("2023-09-19/2023-09-20", date(2023, 9, 19), date(2023, 9, 20), "interval"),
        ("2022-12/..", date(2022, 12, 1), None, "interval"),
        ("../2023-09", None, date(2023, 9, 30), "interval"),
        ("202X", date(2020, 1, 1), date(2029, 12, 31), "decade"),
        ("2023-XX", date(2023, 1, 1), date(2023, 12, 31), "year"),
        ("2023-23", date(2023, 9, 1), date(2023, 11, 30), "season"),
    ],
)
def test_edtf_bounds(value: str, lower: date | None, upper: date | None, precision: str) -> None:
    bounds = parse_edtf(value)
    assert (bounds.lower, bounds.upper, bounds.precision) == (lower, upper, precision)


def test_edtf_qualifiers() -> None:
    assert parse_edtf("2020-11~").approximate
    assert parse_edtf("2020-11?").uncertain
    both = parse_edtf("2020-11%")
    assert both.approximate and both.uncertain


@pytest.mark.parametrize(
    "value", ["", "September 2023", "2023-13", "2023-02-30", "2023-09-20/2023-09-19", "../..",
              "23-09"]
)
def test_not_edtf(value: str) -> None:
    assert not is_edtf(value)
    with pytest.raises(UserError):
        parse_edtf(value)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_every_day_is_its_own_bound(day: date) -> None:
    bounds = parse_edtf(day.isoformat())
    assert bounds.lower == bounds.upper == day


@pytest.mark.parametrize(
    "names",
    [
        ["Stepanakert", "Ստեփանակերտ", "Степанакерт"],
        ["Khankendi", "Xankəndi", "Ханкенди"],
        ["Shusha", "Шуша"],
        ["Shushi", "Շուշի"],
        ["Aliyev", "Əliyev", "Алиев", "ALIYEV"],
        ["Ilham Aliyev", "İlham Əliyev", "Ильхам Алиев"],
        ["Pashinyan", "Pashinian", "Пашинян", "Փաշինյան"],
    ],
)
def test_one_name_in_every_script(names: list[str]) -> None:
    for other in names[1:]:
        assert names_match(names[0], other), (name_keys(names[0]), name_keys(other))


def test_different_names_stay_different() -> None:
    assert not names_match("Stepanakert", "Khankendi")  # contested names are kept as data
    assert not names_match("Ganja", "Goris")
    assert not names_match("Aliyev", "Alimov")


def test_fold_text_is_searchable_in_every_script() -> None:
    folded = fold_text("Президент Əliyev посетил Ханкенди")
    for key in name_keys("Aliyev") | name_keys("Khankendi"):
        assert key in folded.split()


def test_scripts() -> None:
    assert script_of("Ստեփանակերտ") == "Armenian"
    assert script_of("Степанакерт") == "Cyrillic"
    assert script_of("Xankəndi") == "Latin"
    assert script_of("123") == ""
