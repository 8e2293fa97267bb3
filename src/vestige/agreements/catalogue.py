"""Ceasefire agreements as data: ``data/*.yaml``, each checked against
``data/schema/agreement.schema.json``.

Each file holds one agreement with its numbered provisions, the publication each provision is
taken from and how faithful the wording is (``quoted``, ``quoted_fragment`` or ``paraphrase``).
The database stores only the string ids (``trilateral-2020-11-10.p6``), so a link to a
provision keeps its meaning when a paraphrase is later replaced by the checked wording.
:func:`check_all` runs at start-up (``AgreementsConfig.ready``) and raises
:class:`AgreementDataError` naming the file and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ..core.datafiles import load_checked_yaml
from ..core.errors import NotFound, VestigeError

FOLDER = Path(__file__).with_name("data")
SCHEMA = FOLDER / "schema" / "agreement.schema.json"
PARAPHRASE_LABEL = "Paraphrase — check against the source"


class AgreementDataError(VestigeError):
    """An agreement file is missing, unreadable, breaks its schema or repeats an id."""


@dataclass(frozen=True)
class Source:
    """The publication a provision's wording is taken from."""

    id: str
    title: str
    version: str
    url: str
    notes: str


@dataclass(frozen=True)
class Provision:
    """One numbered point of an agreement, with its wording and where the wording comes from."""

    id: str
    number: str
    title: str
    text: str
    fidelity: str
    source: Source
    agreement_id: str
    note: str = ""

    @property
    def is_paraphrase(self) -> bool:
        """True when the wording was not checked against the official text."""
        return self.fidelity == "paraphrase"

    @property
    def label(self) -> str:
        """``Point 6 — Kalbajar and Lachin regions …`` — how lists and forms show it."""
        return f"Point {self.number} — {self.title}"


@dataclass(frozen=True)
class Agreement:
    """One data file: the agreement, its parties, sources and provisions."""

    id: str
    title: str
    short_title: str
    date: date
    effective: str
    parties: tuple[str, ...]
    mediator: str
    notes: str
    sources: tuple[Source, ...]
    provisions: tuple[Provision, ...]

    def provision(self, provision_id: str) -> Provision:
        """The provision ``provision_id`` of this agreement (NotFound otherwise)."""
        for provision in self.provisions:
            if provision.id == provision_id:
                return provision
        raise NotFound(f"{self.short_title} has no provision {provision_id!r}")


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def _build(document: dict[str, Any], path: Path) -> Agreement:
    sources = {
        s["id"]: Source(
            s["id"], _flat(s["title"]), _flat(s["version"]), s.get("url", ""),
            _flat(s.get("notes", "")),
        )
        for s in document["sources"]
    }
    provisions = []
    numbers: set[str] = set()
    for index, raw in enumerate(document["provisions"]):
        where = f"{path}: field provisions[{index}]"
        source = sources.get(raw["source"])
        if source is None:
            raise AgreementDataError(
                f"{where}.source: {raw['source']!r} is not a source of this file"
            )
        if not raw["id"].startswith(document["id"] + "."):
            raise AgreementDataError(
                f"{where}.id: {raw['id']!r} does not start with the agreement's id "
                f"{document['id']!r} and a dot"
            )
        if raw["number"] in numbers:
            raise AgreementDataError(f"{where}.number: {raw['number']!r} is used twice")
        numbers.add(raw["number"])
        provisions.append(
            Provision(
                id=raw["id"], number=str(raw["number"]), title=_flat(raw["title"]),
                text=_flat(raw["text"]), fidelity=raw["fidelity"], source=source,
                agreement_id=document["id"], note=_flat(raw.get("note", "")),
            )
        )
    try:
        made = date.fromisoformat(document["date"])
    except ValueError as exc:
        raise AgreementDataError(f"{path}: field date: {exc}") from exc
    return Agreement(
        id=document["id"], title=_flat(document["title"]),
        short_title=_flat(document.get("short_title") or document["title"]), date=made,
        effective=_flat(document.get("effective", "")), parties=tuple(document["parties"]),
        mediator=_flat(document.get("mediator", "")), notes=_flat(document.get("notes", "")),
        sources=tuple(sources.values()), provisions=tuple(provisions),
    )


def load_agreement(path: Path) -> Agreement:
    """Read and check one data file (:class:`AgreementDataError` names the file and field)."""
    document = load_checked_yaml(path, SCHEMA, AgreementDataError)
    if document["id"] != path.stem:
        raise AgreementDataError(
            f"{path}: field id: {document['id']!r} does not match the file name {path.stem!r}"
        )
    return _build(document, path)


def load_all(folder: Path | None = None) -> list[Agreement]:
    """Every agreement of ``folder``, oldest first; provision ids must be unique across them."""
    base = folder or FOLDER
    paths = sorted(base.glob("*.yaml"))
    if not paths:
        raise AgreementDataError(f"no agreement files in {base}")
    agreements = [load_agreement(path) for path in paths]
    seen: set[str] = set()
    for agreement in agreements:
        for provision in agreement.provisions:
            if provision.id in seen:
                raise AgreementDataError(f"provision id {provision.id!r} is used twice")
            seen.add(provision.id)
    return sorted(agreements, key=lambda a: (a.date, a.id))


@cache
def agreements() -> tuple[Agreement, ...]:
    """The shipped agreements, read once per process."""
    return tuple(load_all())


def check_all() -> None:
    """Start-up check: read every shipped file (raises AgreementDataError on the first fault)."""
    agreements.cache_clear()
    agreements()


def get_agreement(agreement_id: str) -> Agreement:
    """The agreement ``agreement_id`` (NotFound otherwise)."""
    for agreement in agreements():
        if agreement.id == agreement_id:
            return agreement
    raise NotFound(f"no agreement {agreement_id!r}")


def get_provision(provision_id: str) -> Provision:
    """The provision ``provision_id`` of any shipped agreement (NotFound otherwise)."""
    agreement_id = provision_id.split(".", 1)[0]
    return get_agreement(agreement_id).provision(provision_id)
