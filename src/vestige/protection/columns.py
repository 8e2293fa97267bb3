"""The columns a registry import accepts: one definition each, used everywhere.

The validator, ``vestige registry template`` (the header row) and its ``--help`` (what each
column means) all read :data:`COLUMNS`, so they cannot disagree. This module imports no Django,
so the command line can build its help text before Django starts; the vocabularies below are
checked against the protection models' choices by a test.

Headers are matched leniently, because files come from spreadsheets and from KoboToolbox:
case, spaces and hyphens do not matter (``Date of birth`` = ``date_of_birth``), labels and common
variants are aliases (``surname``, ``dob``), Kobo group paths are reduced to their last parts
(``group_identity/given_name``, ``consent/icc``), and Kobo's one-column-per-option exports of a
multiple choice (``role/witness`` holding 1 or 0) are folded back into one value.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

PERSON_ROLES: tuple[str, ...] = ("victim", "witness", "claimant", "relative")
CLAIM_CATEGORIES: tuple[str, ...] = (
    "death_of_relative",
    "injury",
    "forced_displacement",
    "loss_of_home",
    "loss_of_livelihood_or_land",
    "damaged_cultural_or_religious_property",
)
RECIPIENTS: tuple[str, ...] = (
    "un_mechanism",
    "icc",
    "national_authority",
    "partner_ngo",
    "media",
    "public",
)
CONSENT_USES: tuple[str, ...] = ("evidence", "dossier", "statistics", "publication", "contact")

# Labels people write instead of the codes (normalised with :func:`normalise_header`).
CHOICE_LABELS: dict[str, str] = {
    "death_of_a_relative": "death_of_relative",
    "loss_of_a_home": "loss_of_home",
    "lost_home": "loss_of_home",
    "loss_of_livelihood": "loss_of_livelihood_or_land",
    "loss_of_land": "loss_of_livelihood_or_land",
    "lost_livelihood": "loss_of_livelihood_or_land",
    "damaged_cultural_property": "damaged_cultural_or_religious_property",
    "damaged_religious_property": "damaged_cultural_or_religious_property",
    "displacement": "forced_displacement",
    "un": "un_mechanism",
    "international_criminal_court": "icc",
    "ngo": "partner_ngo",
}

# KoboToolbox adds these to every export; they say nothing about the person.
KOBO_META = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "audit",
        "instanceid",
        "instancename",
        "deprecatedid",
        "version",
        "formhub_uuid",
        "meta_instanceid",
        "meta_deprecatedid",
    }
)


@dataclass(frozen=True)
class Column:
    """One column of the registry import."""

    name: str
    kind: str  # text, list, date, edtf, choice, choices, integer, decimal, place, …
    help: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    sealed: bool = False  # part of the sealed identity or household

    @property
    def multiple(self) -> bool:
        return self.kind in ("choices", "consent")


COLUMNS: tuple[Column, ...] = (
    Column(
        "given_name",
        "text",
        "Given name, in any script.",
        required=True,
        sealed=True,
        aliases=("first_name", "firstname", "forename", "given_names"),
    ),
    Column(
        "family_name",
        "text",
        "Family name (surname), in any script.",
        required=True,
        sealed=True,
        aliases=("surname", "last_name", "lastname"),
    ),
    Column(
        "patronymic",
        "text",
        "Patronymic or father's name.",
        sealed=True,
        aliases=("father_name", "fathers_name", "middle_name"),
    ),
    Column(
        "other_names",
        "list",
        "Other names or spellings, separated by ';'.",
        sealed=True,
        aliases=("aliases", "also_known_as", "names_other", "other_spellings"),
    ),
    Column(
        "date_of_birth",
        "date",
        "YYYY-MM-DD, or EDTF when uncertain (1961, 1961-05, 1961~, 196X).",
        sealed=True,
        aliases=("dob", "birth_date", "birthdate", "date_birth", "born"),
    ),
    Column("gender", "text", "Gender as the person states it.", sealed=True, aliases=("sex",)),
    Column(
        "nationality", "text", "Nationality or citizenship.", sealed=True, aliases=("citizenship",)
    ),
    Column(
        "phone",
        "phone",
        "Phone number (digits, spaces, + - ( ) allowed).",
        sealed=True,
        aliases=("telephone", "phone_number", "mobile", "tel"),
    ),
    Column(
        "email",
        "email",
        "E-mail address.",
        sealed=True,
        aliases=("e_mail", "email_address", "mail"),
    ),
    Column(
        "document_type",
        "text",
        "Kind of identity document (passport, ID card, …).",
        sealed=True,
        aliases=("id_type", "id_document_type"),
    ),
    Column(
        "document_number",
        "text",
        "Number of that identity document.",
        sealed=True,
        aliases=("id_number", "passport_number", "document_no", "id_document_number"),
    ),
    Column(
        "address_before",
        "text",
        "Address before displacement.",
        sealed=True,
        aliases=("previous_address", "address_before_displacement", "former_address"),
    ),
    Column(
        "address_after",
        "text",
        "Address now (after displacement).",
        sealed=True,
        aliases=("current_address", "address_now", "address_after_displacement"),
    ),
    Column(
        "notes",
        "text",
        "Notes about the person (sealed with the identity).",
        sealed=True,
        aliases=("comments", "remarks", "identity_notes"),
    ),
    Column(
        "role",
        "choices",
        "What the person is to the case; several separated by spaces or ';'.",
        required=True,
        choices=PERSON_ROLES,
        aliases=("roles", "person_role", "person_type"),
    ),
    Column(
        "place_of_origin",
        "place",
        "Where the person fled from: a gazetteer name in any script, 'Name, CC' with a "
        "country code, or geonames:<id> (see `vestige gazetteer find`).",
        aliases=(
            "origin",
            "place_origin",
            "village_of_origin",
            "settlement_of_origin",
            "hometown",
            "home_town",
        ),
    ),
    Column(
        "displacement_date",
        "edtf",
        "When the person was displaced: EDTF (2023-09-24, 2023-09, 2023-09-19/2023-09-30).",
        aliases=("date_of_displacement", "displaced_on", "displacement"),
    ),
    Column(
        "category",
        "choices",
        "Damage claims, one per category given; several separated "
        "by spaces or ';'. Empty: no claim.",
        choices=CLAIM_CATEGORIES,
        aliases=("claim_category", "damage_category", "claim_type", "damage_type", "categories"),
    ),
    Column(
        "claim_place",
        "place",
        "Where the damage happened (default: place_of_origin).",
        aliases=("damage_place", "place_of_damage", "place_of_loss"),
    ),
    Column(
        "claim_date",
        "edtf",
        "When the damage happened, EDTF (default: displacement_date).",
        aliases=("damage_date", "date_of_damage", "date_of_loss"),
    ),
    Column(
        "household_size",
        "integer",
        "Number of people in the household (1 or more).",
        aliases=("household", "family_size", "household_members_count"),
    ),
    Column(
        "household_members",
        "list",
        "Names of household members, separated by ';' (sealed).",
        sealed=True,
        aliases=("household_names", "family_members"),
    ),
    Column(
        "value_amount",
        "decimal",
        "Estimated value of the loss (needs value_currency and a single category).",
        aliases=("value", "amount", "estimated_value", "loss_value"),
    ),
    Column(
        "value_currency",
        "currency",
        "ISO 4217 code of the value (AMD, AZN, USD, EUR, …).",
        aliases=("currency",),
    ),
    Column(
        "description",
        "text",
        "What was lost or damaged. Not sealed: write no names here.",
        aliases=("claim_description", "damage_description"),
    ),
    Column("needs", "text", "Needs the person expressed.", aliases=("needs_expressed",)),
    Column(
        "referrals",
        "text",
        "Referrals made (to whom, for what).",
        aliases=("referrals_made", "referred_to"),
    ),
    *(
        Column(
            f"consent_{recipient}",
            "consent",
            f"Uses consented to for recipient '{recipient}', separated by spaces or ';' "
            f"({', '.join(CONSENT_USES)}). Empty: no consent.",
            choices=CONSENT_USES,
        )
        for recipient in RECIPIENTS
    ),
    Column(
        "consent_explained",
        "text",
        "What was explained before consent was given (needed when any consent_* is filled).",
        aliases=("consent_explanation", "explained"),
    ),
    Column(
        "consent_given_on",
        "date",
        "Day consent was given, YYYY-MM-DD (needed when any consent_* is filled).",
        aliases=("consent_date", "date_of_consent"),
    ),
)

BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}

KIND_EXPECTS: dict[str, str] = {
    "date": "expected YYYY-MM-DD or EDTF",
    "edtf": "expected an EDTF date such as 2023-09-24, 2023-09 or 2023-09-19/2023-09-30",
    "integer": "expected a whole number",
    "decimal": "expected a number such as 1250 or 1250.50",
}

_SEPARATORS = re.compile(r"[\s\-.:]+")
_TRIM = re.compile(r"^[^\w]+|[^\w]+$")


def normalise_header(text: str) -> str:
    """Lower case, underscores for spaces and hyphens, no surrounding punctuation."""
    cleaned = _TRIM.sub("", str(text).strip().casefold())
    return _SEPARATORS.sub("_", cleaned).strip("_")


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for column in COLUMNS:
        for key in (column.name, *column.aliases):
            normal = normalise_header(key)
            if normal in table and table[normal] != column.name:
                raise RuntimeError(f"alias {key!r} names two columns")
            table[normal] = column.name
    for recipient in RECIPIENTS:
        table.setdefault(f"consent_for_{recipient}", f"consent_{recipient}")
    return table


_LOOKUP = _lookup()


@dataclass(frozen=True)
class HeaderMatch:
    """What one header of a file means: a column, or one option of a multiple-choice column."""

    column: str
    option: str = ""


def match_header(header: str) -> HeaderMatch | None:
    """The column a header names, or None (KoboToolbox metadata, unknown columns)."""
    parts = [normalise_header(p) for p in str(header).split("/") if normalise_header(p)]
    if not parts:
        return None
    if len(parts) >= 2:
        # Kobo's split multiple choice: "role/witness", "consent/icc" (a consent group) …
        owner = _resolve(parts[:-1])
        option = _choice_value(parts[-1])
        if owner and option and option in BY_NAME[owner].choices and BY_NAME[owner].multiple:
            return HeaderMatch(owner, option)
    name = _resolve(parts)
    return HeaderMatch(name) if name else None


def _resolve(parts: list[str]) -> str | None:
    """Try the whole path, then drop leading groups: a/b/c → a_b_c, b_c, c."""
    for start in range(len(parts)):
        candidate = "_".join(parts[start:])
        if candidate in _LOOKUP:
            return _LOOKUP[candidate]
    return None


def is_metadata(header: str) -> bool:
    """Whether a header is KoboToolbox bookkeeping (``_id``, ``_uuid``, ``start``, …)."""
    text = str(header).strip()
    last = text.split("/")[-1].strip()
    return (
        last.startswith("_")
        or normalise_header(last) in KOBO_META
        or normalise_header(text.replace("/", "_")) in KOBO_META
    )


def _choice_value(text: str) -> str:
    normal = normalise_header(text)
    return CHOICE_LABELS.get(normal, normal)


def parse_choices(text: str, allowed: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split a multiple-choice cell into known codes and the count of unknown parts.

    The whole cell is tried first (a label such as "Loss of a home"), then ';' or ',' separated
    parts, then words (Kobo writes "victim witness").
    """
    whole = _choice_value(text)
    if whole in allowed:
        return [whole], []
    parts = [p for p in re.split(r"[;,]", text) if p.strip()]
    if len(parts) == 1:
        parts = text.split()
    found: list[str] = []
    unknown: list[str] = []
    for part in parts:
        value = _choice_value(part)
        if value in allowed:
            if value not in found:
                found.append(value)
        else:
            unknown.append(part)
    return found, unknown


def template_header() -> list[str]:
    """The header row ``vestige registry template`` prints."""
    return [column.name for column in COLUMNS]


def columns_help(width: int = 78) -> str:
    """Every column explained, for ``vestige registry template --help`` and the guide."""
    lines: list[str] = []
    for column in COLUMNS:
        flags = []
        if column.required:
            flags.append("required")
        if column.sealed:
            flags.append("sealed")
        head = f"{column.name}" + (f" ({', '.join(flags)})" if flags else "")
        text = column.help
        if column.choices and column.kind != "consent":
            text += f" One of: {', '.join(column.choices)}."
        if column.aliases:
            text += f" Also read from: {', '.join(column.aliases)}."
        lines.append(head)
        lines.extend(
            textwrap.wrap(text, width=width, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines)
