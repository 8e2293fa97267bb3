"""Registry statistics: small counts suppressed so that no one can be singled out.

The suppression core is checked on random tables (hypothesis): no published count is under the
threshold, and no suppressed count can be worked out exactly from the published figures of any
one row or column. Then the service on a real registry, the CSV export, the charts and the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import vestige
from tests.registry_fixtures import GORIS, KHANKENDI, SHUSHA, officer, seed_places, write_csv
from vestige.core.errors import PermissionDenied, UserError
from vestige.protection.charts import (
    bar_chart_svg,
    claims_by_category_svg,
    column_chart_svg,
    displacement_by_month_svg,
    displacement_heat_svg,
)
from vestige.protection.suppression import suppress, suppress_positions, table_lines

# ---- the pure core --------------------------------------------------------------------------


def single_line_interval(
    line_entries: list[tuple[int, int]], whole: tuple[int, int], values: dict, hidden: set
) -> dict[tuple[int, int], tuple[int, float]]:
    """What one line's equation tells a reader about each suppressed entry in it.

    The reader knows the published entries, that the parts add up to the whole, and the
    published rule that zeros are never suppressed (so a suppressed entry is at least 1).
    """
    unknown = [p for p in line_entries if p in hidden]
    published_parts = sum(values[p] for p in line_entries if p not in hidden and p != whole)
    bounds: dict[tuple[int, int], tuple[int, float]] = {}
    for target in unknown:
        others = [p for p in unknown if p != target]
        if whole in hidden:
            if target == whole:
                # whole = published parts + hidden parts (each ≥ 1, unbounded)
                bounds[target] = (published_parts + len(others), float("inf"))
            else:
                bounds[target] = (1, float("inf"))
        else:
            rest = values[whole] - published_parts  # what the hidden parts add up to
            bounds[target] = (1, rest - len(others))
    return bounds


tables = st.integers(1, 6).flatmap(
    lambda rows: st.integers(1, 6).flatmap(
        lambda columns: st.lists(
            st.lists(
                st.one_of(st.integers(0, 6), st.integers(0, 40)),
                min_size=columns,
                max_size=columns,
            ),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=400, deadline=None)
@given(cells=tables, threshold=st.integers(2, 10))
def test_no_published_count_is_small_and_none_can_be_worked_out(
    cells: list[list[int]], threshold: int
) -> None:
    values, hidden = suppress_positions(cells, threshold)
    rows, columns = len(cells), len(cells[0])
    for position, value in values.items():
        if position not in hidden:
            assert not 0 < value < threshold, (position, value)
        else:
            assert value > 0, "zeros are never suppressed (the rule the reader may rely on)"
    for line in table_lines(rows, columns):
        entries = list(line.entries)
        suppressed = [p for p in entries if p in hidden]
        assert len(suppressed) != 1, (line, suppressed)
        for position, (low, high) in single_line_interval(
            entries, line.whole, values, hidden
        ).items():
            assert low <= values[position] <= high
            assert low < high, f"{position} is pinned to {low} by {line}"
    table = suppress(cells, threshold)
    for r in range(rows):
        for c in range(columns):
            assert table.cells[r][c] == (None if (r, c) in hidden else cells[r][c])
    assert suppress(cells, threshold).cells == table.cells  # the same on every run


def test_a_worked_example() -> None:
    table = suppress([[3, 10, 0], [8, 9, 12], [0, 1, 7]], 5, row_labels=["A", "B", "C"],
                     column_labels=["2023-09", "2023-10", "2023-11"], row_header="place")
    assert table.cells == [[None, None, 0], [None, 9, None], [0, None, None]]
    assert table.row_totals == [13, 29, 8] and table.column_totals == [11, 20, 19]
    assert table.grand_total == 50
    assert list(table.csv_rows()) == [
        ["place", "2023-09", "2023-10", "2023-11", "total"],
        ["A", "suppressed", "suppressed", "0", "13"],
        ["B", "suppressed", "9", "suppressed", "29"],
        ["C", "0", "suppressed", "suppressed", "8"],
        ["total", "11", "20", "19", "50"],
    ]


def test_small_totals_are_suppressed_too() -> None:
    # One place with 3 people in one month: the cell, its row total and — so the column
    # cannot give the cell back — a complement in that column.
    table = suppress([[3, 0], [6, 7]], 5)
    assert table.cells[0][0] is None and table.row_totals[0] is None
    assert table.cells[1][0] is None and table.row_totals[1] is None
    assert table.column_totals == [9, 7] and table.grand_total == 16


def test_all_ones_in_a_line_are_protected() -> None:
    # Two hidden 1s adding up to 2 would each be known to be 1: a third entry goes.
    table = suppress([[1, 1, 9, 9]], 5)
    assert table.cells[0][:2] == [None, None]
    assert table.cells[0][2] is None or table.row_totals[0] is None


def test_one_dimensional_tables() -> None:
    one_row = suppress([[2, 10, 12]], 5)
    assert one_row.cells == [[None, None, 12]] and one_row.row_totals == [24]
    assert one_row.column_totals == []
    one_column = suppress([[2], [10], [12]], 5)
    assert one_column.cells == [[None], [None], [12]] and one_column.column_totals == [24]
    assert one_column.row_figures() == [None, None, 12]
    assert suppress([[4]], 5).cells == [[None]] and suppress([[4]], 5).grand_total is None
    assert suppress([], 5).cells == []
    with pytest.raises(ValueError, match="at least 1"):
        suppress([[1]], 0)


# ---- charts ---------------------------------------------------------------------------------


def test_charts_are_svg_with_escaped_labels_and_no_measurable_suppressed_bar() -> None:
    hostile = '<script>alert("x")</script> & "Ḱ"'
    svg = bar_chart_svg([hostile, "loss of home"], [None, 12], title="T <b>", threshold=5)
    root = ElementTree.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg") and "<script>" not in svg and "style=" not in svg
    assert "&lt;script&gt;" in svg and "suppressed" in svg
    widths = [int(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")
              if r.get("fill", "").startswith("url(")]
    assert widths == [24]  # a fixed stub, not a length that says anything
    columns = column_chart_svg(["2023-09", "2023-10"], [7, None], title="m", threshold=5)
    ElementTree.fromstring(columns)
    assert ">7<" in columns


# ---- the service on a real registry ---------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def registry_rows() -> list[list[str]]:
    """12 people from Stepanakert in September 2023, 6 in October, 2 from Goris in October,
    1 from Shusha with an unknown month; claims: 7 loss of home, 2 injury."""
    header = ["given_name", "family_name", "role", "place_of_origin", "displacement_date",
              "category"]
    rows = [header]
    for n in range(12):
        rows.append([f"Nune{n}", "Invented", "victim", "Stepanakert", f"2023-09-{n + 1:02d}",
                     "loss_of_home" if n < 7 else ""])
    for n in range(6):
        rows.append([f"Aram{n}", "Invented", "victim", "Stepanakert", "2023-10", ""])
    for n in range(2):
        rows.append([f"Goar{n}", "Invented", "victim", "Goris", "2023-10-02", "injury"])
    rows.append(["Zaven", "Invented", "witness", "Shusha", "2023", ""])
    rows.append(["Nobody", "Displaced", "witness", "", "", ""])  # not displaced: not counted
    return rows


@pytest.fixture
def registry(tmp_path: Path, case: Any, django_user_model: Any) -> Any:
    from vestige.protection.importing import import_registry

    seed_places(KHANKENDI, GORIS, SHUSHA)
    olga = officer(case, django_user_model)
    report = import_registry(write_csv(tmp_path / "r.csv", registry_rows()), case, user=olga)
    assert report.committed, report.lines()
    return olga


@pytestmark_db
def test_statistics_suppress_small_groups(case: Any, registry: Any, user: Any) -> None:
    from vestige.protection.models import ProtectionAudit
    from vestige.protection.statistics import registry_statistics

    statistics = registry_statistics(case, user)  # the owner: REGISTRY, not REVEAL
    displacement = statistics.displacement
    assert displacement.column_labels == ["2023-09", "2023-10", "month unknown"]
    assert displacement.row_labels == ["Goris", "Khankendi", "Shusha"]
    rows = dict(zip(displacement.row_labels, displacement.cells, strict=True))
    assert rows["Khankendi"][0] == 12
    assert rows["Goris"][1] is None and rows["Shusha"][2] is None  # 2 and 1: suppressed
    assert displacement.grand_total == 21
    published = [v for r in displacement.cells for v in r if v is not None]
    published += [v for v in displacement.row_totals + displacement.column_totals if v is not None]
    assert all(v == 0 or v >= 5 for v in published)

    claims = statistics.claims
    by_category = dict(zip(claims.row_labels, claims.row_figures(), strict=True))
    assert by_category["injury"] is None  # two people, in Goris
    # 7 loss-of-home claims in Khankendi, 2 injuries in Goris: the Goris total (2) goes, so
    # the Khankendi total goes, so its only cell goes, so the loss-of-home total goes; only the
    # grand total (9) remains. Small registries publish little, as they should.
    assert by_category["loss_of_home"] is None
    assert by_category["death_of_relative"] == 0 and claims.grand_total == 9
    audit = ProtectionAudit.objects.filter(action="statistics").last()
    assert audit is not None and audit.user == user and audit.details["threshold"] == 5


@pytestmark_db
def test_threshold_setting_and_limits(case: Any, registry: Any, user: Any, settings: Any) -> None:
    from vestige.protection.statistics import registry_statistics

    settings.STATS_MIN_CELL = 7
    statistics = registry_statistics(case, user)
    rows = dict(zip(statistics.displacement.row_labels, statistics.displacement.cells,
                    strict=True))
    assert rows["Khankendi"][1] is None  # 6 people < 7
    with pytest.raises(UserError, match="cannot be lowered below 7"):
        registry_statistics(case, user, threshold=3)
    assert registry_statistics(case, user, threshold=13).displacement.grand_total == 21


@pytestmark_db
def test_statistics_need_the_registry_permission(case: Any, registry: Any, outsider: Any) -> None:
    from vestige.cases.services import set_member
    from vestige.core.errors import NotFound
    from vestige.protection.statistics import registry_statistics

    with pytest.raises(NotFound):
        registry_statistics(case, outsider)
    set_member(case.slug, outsider.username, "viewer")
    with pytest.raises(PermissionDenied):
        registry_statistics(case, outsider)


@pytestmark_db
def test_csv_export_obeys_the_same_rule(
    case: Any, registry: Any, user: Any, tmp_path: Path
) -> None:
    from vestige.protection.statistics import registry_statistics, write_statistics_csv

    statistics = registry_statistics(case, user)
    target = tmp_path / "stats.csv"
    write_statistics_csv(statistics, target)
    text = target.read_text(encoding="utf-8")
    numbers = [int(cell) for row in csv.reader(io.StringIO(text)) for cell in row
               if re.fullmatch(r"\d+", cell)]
    assert numbers and all(n == 0 or n >= 5 for n in numbers)
    assert "suppressed" in text and "Invented" not in text and "Nune" not in text
    assert "place_of_origin,2023-09,2023-10,month unknown,total" in text


@pytestmark_db
def test_charts_from_the_statistics(case: Any, registry: Any, user: Any) -> None:
    from vestige.protection.statistics import registry_statistics

    statistics = registry_statistics(case, user)
    for svg in (claims_by_category_svg(statistics), displacement_by_month_svg(statistics),
                displacement_heat_svg(statistics)):
        ElementTree.fromstring(svg)
        assert "style=" not in svg and "<script" not in svg
        for small in (">1<", ">2<", ">3<", ">4<"):
            assert small not in svg
    assert "Loss of a home" in claims_by_category_svg(statistics)
    assert "Khankendi" in displacement_heat_svg(statistics)


def test_cli_stats_table_csv_and_json(cli_env: dict[str, str], tmp_path: Path) -> None:
    for args in (["user", "create", "owner1"], ["user", "create", "olga"],
                 ["case", "create", "reg", "--title", "Registry", "--owner", "owner1"],
                 ["case", "add-member", "reg", "olga", "--role", "protection_officer"]):
        vestige(args, cli_env, check=True)
    rows = [["given_name", "family_name", "role", "displacement_date", "category"]]
    rows += [[f"P{n}", "Invented", "victim", "2023-09", "loss_of_home"] for n in range(6)]
    rows += [[f"Q{n}", "Invented", "victim", "2023-10", "injury"] for n in range(2)]
    vestige(["registry", "import", str(write_csv(tmp_path / "r.csv", rows)), "--case", "reg",
             "--as", "olga"], cli_env, check=True)
    target = tmp_path / "stats.csv"
    shown = vestige(["registry", "stats", "--case", "reg", "--as", "owner1", "--csv",
                     str(target)], cli_env, check=True).stdout
    assert "suppressed" in shown and "Invented" not in shown
    text = target.read_text(encoding="utf-8")
    # 2 people in October: hidden, and so is September's 6, or 8 − 6 would give the 2 back.
    assert "place unknown,suppressed,suppressed,8" in text
    assert "loss_of_home,suppressed" in text and "injury,suppressed" in text
    document = json.loads(vestige(["registry", "stats", "--case", "reg", "--as", "owner1",
                                   "--json", "--min-cell", "7"], cli_env, check=True).stdout)
    assert document["threshold"] == 7
    displacement = document["tables"][0]
    assert displacement["cells"] == [[None, None]] and displacement["total"] == 8
    lowered = vestige(["registry", "stats", "--case", "reg", "--as", "owner1", "--min-cell",
                       "2"], cli_env)
    assert lowered.returncode == 2 and "cannot be lowered below 5" in lowered.stderr
    outsider = vestige(["user", "create", "mallory"], cli_env, check=True)
    assert outsider.returncode == 0
    refused = vestige(["registry", "stats", "--case", "reg", "--as", "mallory"], cli_env)
    assert refused.returncode == 2 and "no case 'reg'" in refused.stderr


def test_month_of_a_displacement() -> None:
    from vestige.protection.statistics import month_of

    assert month_of(date(2023, 9, 1), date(2023, 9, 30)) == "2023-09"
    assert month_of(date(2023, 9, 28), date(2023, 10, 2)) == "month unknown"
    assert month_of(None, None) == "month unknown"
