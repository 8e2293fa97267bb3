"""Controlled vocabularies kept as data: YAML files under ``vocabularies/``, each checked against
a JSON Schema.

Every ``NAME.yaml`` is checked against ``NAME.schema.json`` when there is one, otherwise against
``vocabulary.schema.json``; codes must be unique and parents must name a code of the same file.
:func:`check_all` runs at start-up (``CasesConfig.ready``) and raises :class:`VocabularyError`
naming the file and the field at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..core.datafiles import load_checked_yaml
from ..core.errors import VestigeError

FOLDER = Path(__file__).with_name("vocabularies")
DEFAULT_SCHEMA = "vocabulary.schema.json"


class VocabularyError(VestigeError):
    """A vocabulary file is missing, unreadable or does not follow its schema."""


@dataclass(frozen=True)
class Term:
    """One term of a vocabulary: the stored code, the label shown, and where it sits."""

    code: str
    label: str
    description: str = ""
    parent: str = ""


def _schema_path(name: str, base: Path) -> Path:
    """The file's own schema, else the folder's default one, else the shipped default."""
    for candidate in (base / f"{name}.schema.json", base / DEFAULT_SCHEMA):
        if candidate.exists():
            return candidate
    return FOLDER / DEFAULT_SCHEMA


def load_document(name: str, folder: Path | None = None) -> dict[str, Any]:
    """Read and check one vocabulary file; :class:`VocabularyError` names the file and field."""
    base = folder or FOLDER
    path = base / f"{name}.yaml"
    if not path.exists():
        raise VocabularyError(f"no vocabulary {name!r} ({path} does not exist)")
    document = load_checked_yaml(path, _schema_path(name, base), VocabularyError)
    if document.get("name") != name:
        raise VocabularyError(
            f"{path}: field name: {document.get('name')!r} does not match the file name {name!r}"
        )
    if "terms" in document:
        _check_terms(path, document["terms"])
    return document


def _check_terms(path: Path, terms: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for index, term in enumerate(terms):
        if term["code"] in seen:
            raise VocabularyError(
                f"{path}: field terms[{index}].code: {term['code']!r} appears twice"
            )
        seen.add(term["code"])
    for index, term in enumerate(terms):
        parent = term.get("parent")
        if parent and parent not in seen:
            raise VocabularyError(
                f"{path}: field terms[{index}].parent: {parent!r} is not a code of this vocabulary"
            )


def vocabulary_names() -> list[str]:
    """The names of every vocabulary of terms (the contested-names list aside)."""
    return sorted(
        p.stem for p in FOLDER.glob("*.yaml") if p.stem != "contested_names"
    )


@cache
def vocabulary(name: str) -> list[Term]:
    """The terms of vocabulary ``name`` (e.g. ``"acled_event_types"``), in file order."""
    document = load_document(name)
    return [
        Term(
            code=str(t["code"]),
            label=t["label"],
            description=t.get("description", "").strip(),
            parent=t.get("parent", ""),
        )
        for t in document["terms"]
    ]


def codes(name: str) -> list[str]:
    """The codes of a vocabulary, in file order."""
    return [t.code for t in vocabulary(name)]


def term(name: str, code_or_label: str) -> Term | None:
    """The term whose code or label (case-insensitive) is ``code_or_label``, or None."""
    wanted = code_or_label.strip().casefold()
    for candidate in vocabulary(name):
        if candidate.code.casefold() == wanted or candidate.label.casefold() == wanted:
            return candidate
    return None


def label(name: str, code: str) -> str:
    """The label of a code (the code itself when the vocabulary does not know it)."""
    found = term(name, code) if code else None
    return found.label if found else code


def choices(name: str, parent: str | None = None) -> list[tuple[str, str]]:
    """(code, label) pairs for forms; with ``parent``, only that parent's children
    (``parent=""`` gives the top level)."""
    return [
        (t.code, t.label) for t in vocabulary(name) if parent is None or t.parent == parent
    ]


@cache
def contested_names() -> list[dict[str, Any]]:
    """The checked list of contested place names (see ``contested_names.yaml``)."""
    places: list[dict[str, Any]] = load_document("contested_names")["places"]
    return places


def check_all(folder: Path | None = None) -> list[str]:
    """Load and check every vocabulary file; return their names (VocabularyError if one fails)."""
    base = folder or FOLDER
    names = sorted(p.stem for p in base.glob("*.yaml"))
    if not names:
        raise VocabularyError(f"no vocabulary files in {base}")
    for name in names:
        load_document(name, base)
    return names
