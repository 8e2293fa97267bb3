"""Bulk import of the protection registry from CSV or XLSX (a KoboToolbox export, a spreadsheet).

The file is read twice, streaming, never whole: the first pass checks every row and names every
problem (row number, column, what is wrong — never the value, since values are identities); the
second pass, only when the first found nothing wrong or ``skip_bad_rows`` is given, creates the
people, their claims and consents in one transaction, so an import is all or nothing. The audit
records one ``import`` entry with counts only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..cases.access import require
from ..cases.gazetteer import find_places
from ..cases.graph import Place
from ..cases.models import Case
from ..cases.roles import Permission
from ..core.edtf import parse_edtf
from ..core.errors import UserError
from .columns import BY_NAME, COLUMNS, RECIPIENTS, Column, HeaderMatch, is_metadata, match_header
from .columns import parse_choices as _parse_choices
from .tabular import open_rows

MAX_TEXT = 2000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s\-().]+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_GEONAMES = re.compile(r"^geonames:\s*(\d+)$", re.IGNORECASE)
_WITH_COUNTRY = re.compile(r"^(?P<name>.+?),\s*(?P<cc>[A-Za-z]{2})$")
_TRUE = {"1", "true", "yes", "y", "x", "selected"}
_FALSE = {"", "0", "false", "no", "n"}
CLAIM_COLUMNS = (
    "claim_place", "claim_date", "household_size", "household_members", "value_amount",
    "value_currency", "description", "needs", "referrals",
)


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row; says what, never the value."""

    row: int
    column: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.problem}" if self.column else (
            f"row {self.row}: {self.problem}"
        )


@dataclass
class RegistryImportReport:
    """What an import found and did. Holds counts and row numbers only — no values."""

    path: str
    rows: int = 0
    bad_rows: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    people: int = 0
    claims: int = 0
    consents: int = 0
    skipped: int = 0
    committed: bool = False

    @property
    def ok(self) -> bool:
        """True when the file had no problem at all."""
        return not self.problems and not self.file_problems

    def lines(self) -> list[str]:
        """The report as lines for a terminal or a log: row numbers and columns, no values."""
        out = [f"file: {p}" for p in self.file_problems]
        out += [str(p) for p in self.problems]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "problems": [
                {"row": p.row, "column": p.column, "problem": p.problem} for p in self.problems
            ],
            "file_problems": self.file_problems,
            "ignored_columns": self.ignored_columns,
            "unknown_columns": self.unknown_columns,
            "imported": {"people": self.people, "claims": self.claims, "consents": self.consents},
            "skipped_rows": self.skipped,
            "committed": self.committed,
        }


@dataclass
class ParsedRow:
    """One valid row, in the shape the services take."""

    row: int
    identity: dict[str, Any]
    roles: list[str]
    place_of_origin: Place | None
    displacement_date: str
    categories: list[str]
    claim: dict[str, Any]
    household: list[str]
    consents: list[tuple[str, str]]  # (recipient, use)
    consent_explained: str
    consent_given_on: date | None


@dataclass
class Layout:
    """Which file column holds what."""

    columns: dict[str, int]  # column name → index
    options: dict[str, list[tuple[int, str]]]  # column name → [(index, option)]
    ignored: list[str]
    unknown: list[str]
    problems: list[str]


def read_layout(header: list[str]) -> Layout:
    """Match a header row to the import's columns; name duplicates and missing columns."""
    columns: dict[str, int] = {}
    options: dict[str, list[tuple[int, str]]] = {}
    layout = Layout(columns, options, [], [], [])
    for index, text in enumerate(header):
        if not text.strip():
            continue
        matched: HeaderMatch | None = match_header(text)
        if matched is None:
            (layout.ignored if is_metadata(text) else layout.unknown).append(text)
            continue
        if matched.option:
            options.setdefault(matched.column, []).append((index, matched.option))
            continue
        if matched.column in columns:
            layout.problems.append(
                f"columns {columns[matched.column] + 1} and {index + 1} both mean "
                f"{matched.column}; keep one"
            )
            continue
        columns[matched.column] = index
    for column in COLUMNS:
        if column.required and column.name not in columns and column.name not in options:
            layout.problems.append(
                f"no {column.name} column (see `vestige registry template --help`)"
            )
    return layout


class PlaceResolver:
    """Gazetteer look-ups, remembered per distinct text (a file names few places many times)."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self._cache: dict[str, tuple[Place | None, str]] = {}

    def resolve(self, text: str) -> tuple[Place | None, str]:
        """The place, or None and why not (without repeating the text)."""
        key = text.strip().casefold()
        if key not in self._cache:
            self._cache[key] = self._lookup(text.strip())
        return self._cache[key]

    def _visible(self) -> Any:
        from django.db.models import Q

        return Place.objects.filter(Q(case__isnull=True) | Q(case=self.case))

    def _lookup(self, text: str) -> tuple[Place | None, str]:
        match = _GEONAMES.match(text)
        if match:
            place = self._visible().filter(geonames_id=int(match[1])).first()
            if place is None:
                return None, "no place with that GeoNames id in the gazetteer"
            return place, ""
        country = ""
        with_country = _WITH_COUNTRY.match(text)
        places = find_places(text, case=self.case)
        if not places and with_country:
            country = with_country["cc"].upper()
            places = [
                p for p in find_places(with_country["name"], case=self.case)
                if p.country_code == country
            ]
        if not places:
            return None, (
                "no place of that name in the gazetteer (seed it with `vestige gazetteer seed`, "
                "or write geonames:<id>)"
            )
        if len(places) > 1:
            return None, (
                f"{len(places)} places in the gazetteer bear that name; write 'Name, CC' with a "
                "country code or geonames:<id> (see `vestige gazetteer find`)"
            )
        return places[0], ""


class RowParser:
    """Checks one row and turns it into a :class:`ParsedRow`, or a list of problems."""

    def __init__(self, layout: Layout, places: PlaceResolver, today: date | None = None) -> None:
        self.layout = layout
        self.places = places
        self.today = today or timezone.localdate()

    def raw(self, cells: list[str], name: str) -> str:
        index = self.layout.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def is_blank(self, cells: list[str]) -> bool:
        return not any(cell.strip() for cell in cells)

    def parse(self, number: int, cells: list[str]) -> tuple[ParsedRow | None, list[RowProblem]]:
        problems: list[RowProblem] = []

        def bad(column: str, problem: str) -> None:
            problems.append(RowProblem(number, column, problem))

        values: dict[str, Any] = {}
        for column in COLUMNS:
            value = self._value(cells, column, bad)
            if value is not None:
                values[column.name] = value
        self._cross_checks(values, bad, {p.column for p in problems})
        if problems:
            return None, problems
        return self._assemble(number, values), []

    # ---- one column -------------------------------------------------------------------------

    def _value(self, cells: list[str], column: Column, bad: Any) -> Any:
        if column.multiple:
            return self._choices(cells, column, bad)
        text = self.raw(cells, column.name)
        if not text:
            if column.required:
                bad(column.name, "empty, but required")
            return None
        if len(text) > MAX_TEXT:
            bad(column.name, f"longer than {MAX_TEXT} characters")
            return None
        checker = getattr(self, f"_check_{column.kind}", None)
        if checker is None:
            return text
        value, problem = checker(text, column)
        if problem:
            bad(column.name, problem)
            return None
        return value

    def _choices(self, cells: list[str], column: Column, bad: Any) -> list[str] | None:
        found: list[str] = []
        unknown = 0
        text = self.raw(cells, column.name)
        if text:
            known, rest = _parse_choices(text, column.choices)
            found.extend(known)
            unknown += len(rest)
        for index, option in self.layout.options.get(column.name, []):
            flag = cells[index].strip().casefold() if index < len(cells) else ""
            if flag in _TRUE and option not in found:
                found.append(option)
            elif flag not in _TRUE | _FALSE:
                bad(column.name, f"the {option} column holds neither 1 nor 0")
        if unknown:
            bad(column.name, f"not one of {', '.join(column.choices)}")
            return None
        if not found:
            if column.required:
                bad(column.name, "empty, but required")
            return None
        return found

    def _check_list(self, text: str, column: Column) -> tuple[Any, str]:
        parts = [p.strip() for p in text.split(";") if p.strip()]
        return parts, ""

    def _check_date(self, text: str, column: Column) -> tuple[Any, str]:
        if column.name == "consent_given_on":
            try:
                day = date.fromisoformat(text)
            except ValueError:
                return None, "not a date (expected YYYY-MM-DD)"
            if day > self.today:
                return None, "in the future"
            return day, ""
        try:
            bounds = parse_edtf(text)
        except UserError:
            return None, "not a date (expected YYYY-MM-DD or EDTF)"
        if bounds.lower and bounds.lower > self.today:
            return None, "in the future"
        return text, ""

    def _check_edtf(self, text: str, column: Column) -> tuple[Any, str]:
        try:
            bounds = parse_edtf(text)
        except UserError:
            return None, "not a date (expected EDTF: 2023-09-24, 2023-09, 2023-09-19/2023-09-30)"
        if bounds.lower and bounds.lower > self.today:
            return None, "in the future"
        return text, ""

    def _check_place(self, text: str, column: Column) -> tuple[Any, str]:
        place, problem = self.places.resolve(text)
        return place, problem

    def _check_integer(self, text: str, column: Column) -> tuple[Any, str]:
        try:
            number = int(text.replace(" ", ""))
        except ValueError:
            return None, "not a whole number"
        if not 1 <= number <= 10_000:
            return None, "must be between 1 and 10000"
        return number, ""

    def _check_decimal(self, text: str, column: Column) -> tuple[Any, str]:
        cleaned = text.replace(" ", "").replace("\u00a0", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            return None, "not a number (expected e.g. 1250 or 1250.50)"
        if not amount.is_finite() or amount < 0:
            return None, "must be zero or more"
        if amount >= Decimal(10) ** 14:
            return None, "too large"
        return amount.quantize(Decimal("0.01")), ""

    def _check_currency(self, text: str, column: Column) -> tuple[Any, str]:
        code = text.upper()
        if not _CURRENCY.match(code):
            return None, "not an ISO 4217 currency code (three letters, e.g. AMD, USD)"
        return code, ""

    def _check_email(self, text: str, column: Column) -> tuple[Any, str]:
        if not _EMAIL.match(text):
            return None, "not an e-mail address"
        return text, ""

    def _check_phone(self, text: str, column: Column) -> tuple[Any, str]:
        digits = sum(ch.isdigit() for ch in text)
        if not _PHONE.match(text) or not 5 <= digits <= 20:
            return None, "not a phone number (digits, spaces and + - ( ) only)"
        return text, ""

    # ---- the row as a whole -----------------------------------------------------------------

    def _cross_checks(self, values: dict[str, Any], bad: Any, already: set[str]) -> None:
        """Rules between columns; a column already named as bad is not named again."""
        categories = values.get("category") or []
        if not categories:
            for name in CLAIM_COLUMNS:
                if name in values and "category" not in already:
                    bad(name, "filled, but the row has no category (no claim to attach it to)")
        if "value_amount" in values and not ({"value_currency"} & (values.keys() | already)):
            bad("value_currency", "empty, but value_amount is given")
        if "value_currency" in values and not ({"value_amount"} & (values.keys() | already)):
            bad("value_amount", "empty, but value_currency is given")
        if "value_amount" in values and len(categories) > 1:
            bad("value_amount", "a value needs a single category per row")
        members = values.get("household_members") or []
        size = values.get("household_size")
        if size is not None and len(members) > size:
            bad("household_size", "smaller than the number of household_members")
        consenting = [r for r in RECIPIENTS if values.get(f"consent_{r}")]
        if consenting:
            for name in ("consent_explained", "consent_given_on"):
                if name not in values and name not in already:
                    bad(name, "empty, but a consent column is filled")

    def _assemble(self, number: int, values: dict[str, Any]) -> ParsedRow:
        identity: dict[str, Any] = {}
        for name in (
            "given_name", "family_name", "patronymic", "other_names", "date_of_birth", "gender",
            "nationality", "address_before", "address_after", "notes",
        ):
            if name in values:
                identity[name] = values[name]
        contacts = [values[kind] for kind in ("phone", "email") if kind in values]
        if contacts:
            identity["contacts"] = contacts
        if "document_number" in values or "document_type" in values:
            kind, number = values.get("document_type", ""), values.get("document_number", "")
            identity["identity_documents"] = [f"{kind}: {number}" if kind and number else
                                              kind or number]
        origin = values.get("place_of_origin")
        displaced = values.get("displacement_date", "")
        claim = {
            "place": values.get("claim_place") or origin,
            "date": values.get("claim_date") or displaced,
            "household_size": values.get("household_size"),
            "value_amount": values.get("value_amount"),
            "value_currency": values.get("value_currency", ""),
            "description": values.get("description", ""),
            "needs": values.get("needs", ""),
            "referrals": values.get("referrals", ""),
        }
        consents = [
            (recipient, use)
            for recipient in RECIPIENTS
            for use in values.get(f"consent_{recipient}") or []
        ]
        return ParsedRow(
            row=number,
            identity=identity,
            roles=values["role"],
            place_of_origin=origin,
            displacement_date=displaced,
            categories=values.get("category") or [],
            claim=claim,
            household=values.get("household_members") or [],
            consents=consents,
            consent_explained=values.get("consent_explained", ""),
            consent_given_on=values.get("consent_given_on"),
        )


def validate_registry(
    path: Path, case: Case, *, today: date | None = None
) -> tuple[RegistryImportReport, Layout | None]:
    """First pass: read every row and name every problem; write nothing."""
    report = RegistryImportReport(path=Path(path).name)
    layout: Layout | None = None
    parser: RowParser | None = None
    places = PlaceResolver(case)
    with open_rows(Path(path)) as rows:
        for number, cells in rows:
            if layout is None:
                if not any(c.strip() for c in cells):
                    continue
                layout = read_layout(cells)
                report.ignored_columns = layout.ignored
                report.unknown_columns = layout.unknown
                report.file_problems.extend(layout.problems)
                if layout.problems:
                    return report, layout
                parser = RowParser(layout, places, today)
                continue
            assert parser is not None
            if parser.is_blank(cells):
                continue
            report.rows += 1
            _parsed, problems = parser.parse(number, cells)
            if problems:
                report.bad_rows.append(number)
                report.problems.extend(problems)
    if layout is None:
        report.file_problems.append("the file is empty: no header row")
    elif report.rows == 0:
        report.file_problems.append("the file has a header but no rows")
    return report, layout


def parsed_rows(
    path: Path, case: Case, layout: Layout, *, today: date | None = None
) -> Iterator[ParsedRow | None]:
    """Second pass: every data row parsed again (None for a bad row), streaming."""
    parser = RowParser(layout, PlaceResolver(case), today)
    header_seen = False
    with open_rows(Path(path)) as rows:
        for number, cells in rows:
            if not header_seen:
                header_seen = any(c.strip() for c in cells)
                continue
            if parser.is_blank(cells):
                continue
            parsed, _problems = parser.parse(number, cells)
            yield parsed


def import_registry(
    path: Path,
    case: Case,
    *,
    user: Any,
    skip_bad_rows: bool = False,
    today: date | None = None,
) -> RegistryImportReport:
    """Import a registry file into ``case``: everything, or nothing when a row is bad.

    With ``skip_bad_rows`` the good rows are imported and the bad ones are listed in the report.
    Needs PROTECT_EDIT (a protection officer); checked before the file is read.
    """
    require(user, case, Permission.PROTECT_EDIT)
    path = Path(path)
    report, layout = validate_registry(path, case, today=today)
    if report.file_problems or layout is None:
        return report
    if report.problems and not skip_bad_rows:
        return report
    report.skipped = len(report.bad_rows)
    with transaction.atomic():
        for parsed in parsed_rows(path, case, layout, today=today):
            if parsed is None:
                continue
            _create(case, parsed, user, report)
        _audit(case, user, report)
    report.committed = True
    return report


def _create(case: Case, parsed: ParsedRow, user: Any, report: RegistryImportReport) -> None:
    from . import services

    try:
        person = services.create_person(
            case,
            user=user,
            identity=parsed.identity,
            roles=parsed.roles,
            place_of_origin=parsed.place_of_origin,
            displacement_date=parsed.displacement_date,
        )
        report.people += 1
        household = [{"given_name": name} for name in parsed.household]
        for category in parsed.categories:
            services.add_claim(
                person, user=user, category=category, household=household, **parsed.claim
            )
            report.claims += 1
        for recipient, use in parsed.consents:
            assert parsed.consent_given_on is not None  # checked by the validator
            services.record_consent(
                person,
                user=user,
                recipient=recipient,
                use=use,
                explained=parsed.consent_explained,
                given_on=parsed.consent_given_on,
            )
            report.consents += 1
    except UserError as exc:
        # The services' messages name fields and codes, never identity values.
        raise UserError(f"row {parsed.row}: {exc}; nothing was imported") from None


def _audit(case: Case, user: Any, report: RegistryImportReport) -> None:
    from .models import AuditAction
    from .services import audit

    audit(
        case,
        AuditAction.IMPORT,
        user=user,
        details={
            "file_rows": report.rows,
            "people": report.people,
            "claims": report.claims,
            "consents": report.consents,
            "skipped_rows": report.skipped,
        },
    )


__all__ = [
    "BY_NAME",
    "ParsedRow",
    "RegistryImportReport",
    "RowProblem",
    "import_registry",
    "validate_registry",
]
