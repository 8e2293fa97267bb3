"""The legal texts as data: ``data/*.yaml``, each checked against ``data/schema/law.schema.json``.

A file holds one kind of provision — crimes, modes of liability or sanctions criteria — with the
elements a charge or a designation has to prove. Every provision and element has a stable
string id (``rome.art8.2.b.xxv``, ``rome.art8.2.b.xxv.e2``); the database stores those ids, so a
characterisation keeps its meaning when the files are reworded. :func:`check_all` runs at
start-up (``LawConfig.ready``) and raises :class:`LawDataError` naming the file and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..core.datafiles import load_checked_yaml
from ..core.errors import NotFound, VestigeError

FOLDER = Path(__file__).with_name("data")
SCHEMA = FOLDER / "schema" / "law.schema.json"

ELEMENT_KINDS = ("conduct", "consequence", "circumstance", "mental", "contextual")
# Which crimes an armed-conflict classification offers. Genocide and crimes against humanity
# need no armed conflict ("any"); a war crime belongs to one kind of conflict only. With no
# classification yet ("unknown") only the crimes that do not depend on it are offered, so that
# the choice between international and non-international is made deliberately.
CONFLICTS_OFFERED = {
    "international": ("any", "international"),
    "non_international": ("any", "non_international"),
    "none": ("any",),
    "unknown": ("any",),
}


class LawDataError(VestigeError):
    """A legal-text file is missing, unreadable, breaks its schema or repeats an id."""


@dataclass(frozen=True)
class Source:
    """The official text a provision or element is taken from."""

    id: str
    title: str
    version: str
    url: str


@dataclass(frozen=True)
class Element:
    """One element to prove, worded as the source words it (or marked as a paraphrase)."""

    id: str
    number: str
    kind: str
    text: str
    fidelity: str
    provision_id: str
    note: str = ""

    @property
    def is_paraphrase(self) -> bool:
        """True when the wording must be checked against the source."""
        return self.fidelity == "paraphrase"


@dataclass(frozen=True)
class Provision:
    """A crime, a mode of liability or a sanctions criterion, with its elements."""

    id: str
    number: str
    title: str
    kind: str  # crimes | liability | sanctions
    framework: str  # the file's name
    framework_title: str
    source: Source
    elements: tuple[Element, ...]
    conflict: str = "any"
    group: str = ""
    text: str = ""
    text_source: Source | None = None
    text_fidelity: str = ""
    counterpart: str = ""
    context: str = ""

    @property
    def label(self) -> str:
        """``8(2)(b)(xxv) War crime of starvation …`` — how lists show it."""
        return f"{self.number} {self.title}"


@dataclass(frozen=True)
class Framework:
    """One data file: its title, sources and provisions."""

    name: str
    kind: str
    title: str
    notes: str
    sources: tuple[Source, ...]
    provisions: tuple[Provision, ...]
    contexts: tuple[dict[str, Any], ...]


def _build(document: dict[str, Any], path: Path) -> Framework:
    sources = {
        s["id"]: Source(s["id"], s["title"], " ".join(s["version"].split()), s["url"])
        for s in document["sources"]
    }
    contexts = {c["id"] for c in document.get("contexts", [])}
    provisions = []
    for index, raw in enumerate(document["provisions"]):
        where = f"{path}: field provisions[{index}]"
        source = sources.get(raw["source"])
        if source is None:
            raise LawDataError(f"{where}.source: {raw['source']!r} is not a source of this file")
        text_source = None
        if raw.get("text_source"):
            text_source = sources.get(raw["text_source"])
            if text_source is None:
                raise LawDataError(
                    f"{where}.text_source: {raw['text_source']!r} is not a source of this file"
                )
        if raw.get("context") and raw["context"] not in contexts:
            raise LawDataError(f"{where}.context: {raw['context']!r} is not a context of this file")
        if document["kind"] == "crimes" and "conflict" not in raw:
            raise LawDataError(f"{where}.conflict: a crime must say which conflict it belongs to")
        elements = []
        for number, element in enumerate(raw["elements"]):
            if not element["id"].startswith(raw["id"] + "."):
                raise LawDataError(
                    f"{where}.elements[{number}].id: {element['id']!r} does not start with the "
                    f"provision's id {raw['id']!r}"
                )
            elements.append(
                Element(
                    id=element["id"],
                    number=str(element["number"]),
                    kind=element["kind"],
                    text=" ".join(str(element["text"]).split()),
                    fidelity=element["fidelity"],
                    provision_id=raw["id"],
                    note=element.get("note", ""),
                )
            )
        provisions.append(
            Provision(
                id=raw["id"],
                number=str(raw["number"]),
                title=raw["title"],
                kind=document["kind"],
                framework=document["name"],
                framework_title=document["title"],
                source=source,
                elements=tuple(elements),
                conflict=raw.get("conflict", "any"),
                group=raw.get("group", ""),
                text=" ".join(raw.get("text", "").split()),
                text_source=text_source,
                text_fidelity=raw.get("text_fidelity", ""),
                counterpart=raw.get("counterpart", ""),
                context=raw.get("context", ""),
            )
        )
    return Framework(
        name=document["name"],
        kind=document["kind"],
        title=document["title"],
        notes=" ".join(document.get("notes", "").split()),
        sources=tuple(sources.values()),
        provisions=tuple(provisions),
        contexts=tuple(document.get("contexts", [])),
    )


def load_framework(path: Path) -> Framework:
    """Read and check one data file (:class:`LawDataError` names the file and field)."""
    document = load_checked_yaml(path, SCHEMA, LawDataError)
    if document["name"] != path.stem:
        raise LawDataError(
            f"{path}: field name: {document['name']!r} does not match the file name {path.stem!r}"
        )
    return _build(document, path)


def load_all(folder: Path | None = None) -> list[Framework]:
    """Every data file of ``folder``; ids must be unique across all of them."""
    base = folder or FOLDER
    paths = sorted(base.glob("*.yaml"))
    if not paths:
        raise LawDataError(f"no legal-text files in {base}")
    frameworks = [load_framework(path) for path in paths]
    seen: dict[str, str] = {}
    for framework in frameworks:
        for provision in framework.provisions:
            for ident in (provision.id, *(e.id for e in provision.elements)):
                if ident in seen:
                    raise LawDataError(
                        f"{base / framework.name}.yaml: id {ident!r} is used twice "
                        f"(also in {seen[ident]}.yaml)"
                    )
                seen[ident] = framework.name
    for framework in frameworks:
        for provision in framework.provisions:
            if provision.counterpart and provision.counterpart not in seen:
                raise LawDataError(
                    f"{base / framework.name}.yaml: provision {provision.id!r}: counterpart "
                    f"{provision.counterpart!r} is not a known provision"
                )
    return frameworks


def check_all(folder: Path | None = None) -> list[str]:
    """Load and check every legal-text file; return their names."""
    return [framework.name for framework in load_all(folder)]


@cache
def frameworks() -> tuple[Framework, ...]:
    """The shipped legal texts, loaded once."""
    return tuple(load_all())


@cache
def _index() -> tuple[dict[str, Provision], dict[str, Element]]:
    provisions: dict[str, Provision] = {}
    elements: dict[str, Element] = {}
    for framework in frameworks():
        for provision in framework.provisions:
            provisions[provision.id] = provision
            for element in provision.elements:
                elements[element.id] = element
    return provisions, elements


def provisions(kind: str | None = None) -> list[Provision]:
    """Every provision (of one kind: crimes, liability, sanctions), in file order."""
    return [p for p in _index()[0].values() if kind is None or p.kind == kind]


def provision(ident: str) -> Provision:
    """The provision ``ident``; :class:`NotFound` for an unknown id."""
    found = _index()[0].get(ident)
    if found is None:
        raise NotFound(
            f"no crime, mode of liability or criterion {ident!r} (see `vestige law list`)"
        )
    return found


def find_provision(ident: str) -> Provision | None:
    """The provision ``ident`` or None (records whose text was withdrawn from the data)."""
    return _index()[0].get(ident)


def element(ident: str) -> Element:
    """The element ``ident``; :class:`NotFound` for an unknown id."""
    found = _index()[1].get(ident)
    if found is None:
        raise NotFound(f"no element {ident!r}")
    return found


def crimes_offered(conflict_type: str) -> list[Provision]:
    """The crimes an incident of this armed-conflict classification may be characterised as."""
    allowed = CONFLICTS_OFFERED.get(conflict_type, ("any",))
    return [p for p in provisions("crimes") if p.conflict in allowed]


def is_offered(crime: Provision, conflict_type: str) -> bool:
    """Whether ``crime`` fits the classification ``conflict_type``."""
    return crime.kind == "crimes" and crime.conflict in CONFLICTS_OFFERED.get(conflict_type, ())
