"""Proof charts: the elements to prove against the evidence that bears on each, gaps shown.

For a case, one section per characterisation (incident × crime) with a row per element of the
crime. For one actor (a suspect), the characterisations of every incident the actor is linked to
through a mode of liability, and a section per link with a row per element of the mode. A row
carries its status, the analyst's note and the claims relied on, each with its exhibit (the item
it is drawn from, labelled "title [short id]"). Unsupported and contradicted elements are gaps.

The same chart feeds the web page, the CSV export and the command line's table, so the three
never disagree.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import Prefetch

from ..cases.graph import Actor, Claim
from . import catalogue
from .models import GAP_STATUSES, Characterisation, ElementAssessment, ElementStatus, LiabilityLink

EXCERPT = 240
CSV_COLUMNS = [
    "section",
    "incident_id",
    "incident",
    "actor_id",
    "actor",
    "provision_id",
    "provision",
    "conflict_type",
    "element_id",
    "element_number",
    "element_kind",
    "element_text",
    "element_fidelity",
    "status",
    "gap",
    "note",
    "claim_id",
    "claim_text",
    "claim_stance",
    "claim_status",
    "exhibit",
    "item_id",
    "item_sha256",
    "withheld_claims",
]


@dataclass(frozen=True)
class Exhibit:
    """The item a claim is drawn from, as a court bundle would label it."""

    item_id: str
    title: str
    sha256: str

    @property
    def short_id(self) -> str:
        return self.item_id.replace("-", "")[:8]

    @property
    def label(self) -> str:
        return f"{self.title} [{self.short_id}]"


@dataclass(frozen=True)
class Evidence:
    """One claim relied on for an element, with its exhibit."""

    claim_id: int
    text: str
    stance: str
    status: str
    exhibit: Exhibit


@dataclass
class Row:
    """One element: its status, note and the evidence relied on."""

    element: catalogue.Element
    status: str
    note: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    withheld: int = 0  # claims from restricted testimony the viewer may not see

    @property
    def is_gap(self) -> bool:
        return self.status in GAP_STATUSES

    @property
    def status_label(self) -> str:
        return (
            ElementStatus(self.status).label if self.status in ElementStatus.values else self.status
        )


@dataclass
class Section:
    """A characterisation (crime) or a liability link (mode), with one row per element."""

    kind: str  # "crime" or "liability"
    record_id: int
    incident_id: int
    incident_title: str
    provision_id: str
    provision: catalogue.Provision | None
    conflict_type: str = ""
    actor_id: int | None = None
    actor_name: str = ""
    note: str = ""
    linkage: list[Evidence] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def title(self) -> str:
        name = (
            self.provision.label
            if self.provision
            else f"{self.provision_id} (not in the legal texts)"
        )
        if self.kind == "liability":
            return f"{self.actor_name} — {name} — {self.incident_title}"
        return f"{self.incident_title} — {name}"

    @property
    def gaps(self) -> int:
        return sum(row.is_gap for row in self.rows)


@dataclass
class ProofChart:
    """Every section of the chart, with totals by status."""

    case: Any
    actor: Actor | None
    sections: list[Section]

    @property
    def rows(self) -> list[Row]:
        return [row for section in self.sections for row in section.rows]

    @property
    def gaps(self) -> int:
        return sum(row.is_gap for row in self.rows)

    def counts(self) -> dict[str, int]:
        totals = {status: 0 for status in ElementStatus.values}
        for row in self.rows:
            totals[row.status] = totals.get(row.status, 0) + 1
        return totals


def _evidence(claims: Iterable[Claim], hidden: set[Any]) -> tuple[list[Evidence], int]:
    shown, withheld = [], 0
    for claim in sorted(claims, key=lambda c: c.pk):
        if claim.item_id in hidden:
            withheld += 1
            continue
        text = " ".join(claim.text.split())
        shown.append(
            Evidence(
                claim_id=claim.pk,
                text=text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + " …",
                stance=claim.stance,
                status=claim.status,
                exhibit=Exhibit(
                    str(claim.item_id), claim.item.title or "(untitled item)", claim.item.sha256
                ),
            )
        )
    return shown, withheld


def _rows(
    provision: catalogue.Provision | None, assessments: list[ElementAssessment], hidden: set[Any]
) -> list[Row]:
    by_element = {a.element_id: a for a in assessments}
    rows = []
    elements = list(provision.elements) if provision else []
    known = {e.id for e in elements}
    for orphan in sorted(set(by_element) - known):  # the data lost an element: keep it visible
        elements.append(
            catalogue.Element(
                orphan,
                "?",
                "conduct",
                "(this element is no longer in the legal texts)",
                "paraphrase",
                provision.id if provision else "",
            )
        )
    for element in elements:
        assessment = by_element.get(element.id)
        if assessment is None:
            rows.append(Row(element, ElementStatus.UNSUPPORTED.value))
            continue
        evidence, withheld = _evidence(assessment.claims.all(), hidden)
        rows.append(Row(element, assessment.status, assessment.note, evidence, withheld))
    return rows


def _claims_prefetch() -> Prefetch[Any]:
    return Prefetch("claims", queryset=Claim.objects.select_related("item"))


def _crime_sections(
    characterisations: Iterable[Characterisation], hidden: set[Any]
) -> list[Section]:
    sections = []
    for record in characterisations:
        provision = catalogue.find_provision(record.crime_id)
        assessments = list(record.assessments.prefetch_related(_claims_prefetch()))
        sections.append(
            Section(
                kind="crime",
                record_id=record.pk,
                incident_id=record.incident_id,
                incident_title=record.incident.title,
                provision_id=record.crime_id,
                provision=provision,
                conflict_type=record.conflict_type,
                note=record.note,
                rows=_rows(provision, assessments, hidden),
            )
        )
    return sections


def build(
    case: Any, *, actor: Actor | None = None, hidden_items: set[Any] | None = None
) -> ProofChart:
    """The proof chart of ``case`` (or of one ``actor`` of it).

    ``hidden_items`` are item ids the viewer may not see (restricted testimony): claims drawn
    from them are counted as withheld, never shown.
    """
    hidden = hidden_items or set()
    characterisations = Characterisation.objects.filter(case=case).select_related("incident")
    if actor is None:
        sections = _crime_sections(
            characterisations.order_by("incident__date_lower", "incident__title", "pk"), hidden
        )
        return ProofChart(case, None, sections)
    links = list(
        LiabilityLink.objects.filter(case=case, actor=actor)
        .select_related("incident", "actor")
        .prefetch_related(_claims_prefetch())
        .order_by("incident__date_lower", "incident__title", "pk")
    )
    incident_ids = [link.incident_id for link in links]
    sections = []
    for incident_id in dict.fromkeys(incident_ids):
        sections += _crime_sections(
            characterisations.filter(incident_id=incident_id).order_by("pk"), hidden
        )
        for link in (item for item in links if item.incident_id == incident_id):
            provision = catalogue.find_provision(link.mode_id)
            assessments = list(link.assessments.prefetch_related(_claims_prefetch()))
            linkage, _ = _evidence(link.claims.all(), hidden)
            sections.append(
                Section(
                    kind="liability",
                    record_id=link.pk,
                    incident_id=link.incident_id,
                    incident_title=link.incident.title,
                    provision_id=link.mode_id,
                    provision=provision,
                    actor_id=link.actor_id,
                    actor_name=link.actor.name,
                    note=link.note,
                    linkage=linkage,
                    rows=_rows(provision, assessments, hidden),
                )
            )
    return ProofChart(case, actor, sections)


def csv_rows(chart: ProofChart) -> Iterable[dict[str, Any]]:
    """One CSV row per element and claim (one per element when it has no claim)."""
    for section in chart.sections:
        for row in section.rows:
            base = {
                "section": section.title,
                "incident_id": section.incident_id,
                "incident": section.incident_title,
                "actor_id": section.actor_id or "",
                "actor": section.actor_name,
                "provision_id": section.provision_id,
                "provision": section.provision.label if section.provision else "",
                "conflict_type": section.conflict_type,
                "element_id": row.element.id,
                "element_number": row.element.number,
                "element_kind": row.element.kind,
                "element_text": row.element.text,
                "element_fidelity": row.element.fidelity,
                "status": row.status,
                "gap": "yes" if row.is_gap else "no",
                "note": row.note,
                "withheld_claims": row.withheld,
            }
            if not row.evidence:
                yield {
                    **base,
                    **{
                        k: ""
                        for k in (
                            "claim_id",
                            "claim_text",
                            "claim_stance",
                            "claim_status",
                            "exhibit",
                            "item_id",
                            "item_sha256",
                        )
                    },
                }
            for evidence in row.evidence:
                yield {
                    **base,
                    "claim_id": evidence.claim_id,
                    "claim_text": evidence.text,
                    "claim_stance": evidence.stance,
                    "claim_status": evidence.status,
                    "exhibit": evidence.exhibit.label,
                    "item_id": evidence.exhibit.item_id,
                    "item_sha256": evidence.exhibit.sha256,
                }


def write_csv(chart: ProofChart, out: IO[str]) -> int:
    """Write the chart as CSV; returns the number of data rows."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for record in csv_rows(chart):
        writer.writerow(record)
        count += 1
    return count


def text_table(chart: ProofChart, width: int = 100) -> str:
    """A compact plain-text chart for the terminal; gaps are marked ``GAP``."""
    lines = []
    for section in chart.sections:
        conflict = f" [{section.conflict_type}]" if section.conflict_type else ""
        lines.append(f"== {section.title}{conflict}")
        for row in section.rows:
            flag = "GAP" if row.is_gap else "   "
            text = row.element.text
            text = text if len(text) <= width - 40 else text[: width - 41] + "…"
            lines.append(
                f"{flag} {row.element.number:>5} {row.element.kind:<12} {row.status:<16} {text}"
            )
            for evidence in row.evidence:
                lines.append(f"{'':>10}claim {evidence.claim_id} · {evidence.exhibit.label}")
            if row.withheld:
                lines.append(f"{'':>10}{row.withheld} claim(s) from restricted testimony withheld")
        lines.append("")
    counts = chart.counts()
    summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in ElementStatus.values)
    lines.append(f"{len(chart.rows)} elements: {summary}; {chart.gaps} gaps")
    return "\n".join(lines)
