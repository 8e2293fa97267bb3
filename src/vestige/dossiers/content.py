"""What a dossier says: gathered from the case graph, the law app, screening and verification.

:func:`gather` collects the facts once (:class:`Facts`); :func:`compose` lays them out as a
:class:`~.document.Document` for one kind. Exhibits are the items the relevant claims are drawn
from, numbered E-001… in capture order; an exhibit withheld for lack of consent keeps no number
and its claims are not quoted (they could say who the witness is).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from ..cases.graph import Actor, Claim, Incident, IncidentActor, IncidentCount, Position
from ..evidence.models import Item
from .document import Document
from .kinds import Kind

PLACEHOLDER = "[TO BE COMPLETED BY THE SUBMITTER] "


@dataclass
class Exhibit:
    number: str
    item: Item


@dataclass
class Person:
    """A protected person whose items bear on the dossier: pseudonym, or name with consent."""

    pseudonym: str
    roles: list[str]
    named: str = ""  # their name, only when their consent covers this recipient
    exhibits: list[str] = field(default_factory=list)
    withheld: int = 0


@dataclass
class Facts:
    case: Any
    actor: Actor
    kind: Kind
    recipient: str
    submitter: str
    contact: str
    impact: str
    incidents: list[Incident]
    roles: dict[int, list[str]]
    claims: list[Claim]
    exhibits: list[Exhibit]
    withheld: list[Item]
    people: list[Person]
    generated: date
    dossier_id: str
    screening: list[dict[str, str]] = field(default_factory=list)
    rejected_checks: list[dict[str, str]] = field(default_factory=list)

    @property
    def number_of(self) -> dict[Any, str]:
        return {e.item.pk: e.number for e in self.exhibits}


def relevant_claims(
    case: Any, actor: Actor
) -> tuple[list[Incident], dict[int, list[str]], list[Claim]]:
    """The actor's incidents (with the actor's roles in each) and the claims bearing on them."""
    roles: dict[int, list[str]] = {}
    for link in IncidentActor.objects.filter(actor=actor, incident__case=case):
        roles.setdefault(link.incident_id, []).append(link.role.replace("_", " "))
    try:
        from ..law.models import LiabilityLink

        for lid, mode in LiabilityLink.objects.filter(case=case, actor=actor).values_list(
            "incident_id", "mode_id"
        ):
            roles.setdefault(lid, []).append(f"liability: {mode}")
    except LookupError:  # pragma: no cover - law app absent
        pass
    claimed = Claim.objects.filter(case=case, actors=actor).values_list("incidents", flat=True)
    ids = set(roles) | {i for i in claimed if i is not None}
    incidents = list(
        Incident.objects.filter(case=case, pk__in=ids)
        .prefetch_related("places")
        .order_by("date_lower", "title", "pk")
    )
    claims = list(
        Claim.objects.filter(case=case)
        .filter(Q(actors=actor) | Q(incidents__in=ids) | Q(liability_links__actor=actor))
        .exclude(status="rejected")
        .select_related("item")
        .prefetch_related("incidents")
        .distinct()
        .order_by("date_lower", "pk")
    )
    return incidents, roles, claims


def _places(incident: Incident) -> str:
    return "; ".join(p.name for p in incident.places.all())


def _claim_exhibit(claim: Claim, numbers: dict[Any, str]) -> str:
    return numbers.get(claim.item_id, "withheld")


def compose(facts: Facts) -> Document:
    """The document for ``facts.kind``: the shared sections, then the kind's own."""
    kind = facts.kind
    doc = Document(
        kind.title,
        f"Concerning {facts.actor.name} · case “{facts.case.title}” · prepared "
        f"{facts.generated.isoformat()} · dossier {facts.dossier_id}",
    )
    doc.fields(
        [
            ("Addressed to", kind.audience),
            ("Recipient (consent category)", facts.recipient.replace("_", " ")),
            ("Submitted by", facts.submitter or PLACEHOLDER + "name of the organisation"),
            ("Contact", facts.contact or PLACEHOLDER + "e-mail and telephone"),
            ("Prepared with", "Vestige; the exhibits are in the signed bundle beside this file"),
        ]
    )
    _person(doc, facts)
    if kind.sanctions:
        _screening(doc, facts)
    _conduct(doc, facts)
    if kind.name == "icc-art15":
        _icc(doc, facts)
    elif kind.criteria:
        _allegations(doc, facts)
    _evidence(doc, facts)
    _exculpatory(doc, facts)
    if kind.sanctions:
        doc.heading("Impact of a designation")
        if facts.impact.strip():
            for paragraph in facts.impact.strip().split("\n\n"):
                doc.para(paragraph.strip())
        else:
            doc.para(
                PLACEHOLDER + "explain why designating this person matters: deterrence, the "
                "person's assets or travel in the designating jurisdiction, the message to "
                "victims, and any risk to them. (Pass --impact FILE to fill this section.)",
                "placeholder",
            )
    _people(doc, facts)
    _exhibit_index(doc, facts)
    return doc


def _person(doc: Document, facts: Facts) -> None:
    actor = facts.actor
    doc.heading("The person and every identifier")
    doc.fields(
        [
            ("Name", actor.name),
            ("Kind", actor.get_kind_display()),
            ("Date of birth", actor.birth_date),
            ("Place of birth", actor.birth_place.name if actor.birth_place else ""),
            ("Gender", actor.gender),
            ("Nationalities", ", ".join(actor.nationalities or [])),
            ("Description", actor.description),
        ]
    )
    doc.heading("Names in all scripts", 2)
    doc.table(
        ["Name", "Script", "Language", "Kind"],
        [[n.name, n.script, n.language, n.kind] for n in actor.names.all().order_by("pk")],
        "Only the name above is known.",
    )
    doc.heading("Identifying documents and numbers", 2)
    doc.table(
        ["Type", "Value", "Country"],
        [
            [str(i.get("type", "")), str(i.get("value", "")), str(i.get("country", ""))]
            for i in (actor.identifiers or [])
            if isinstance(i, dict)
        ],
        "No identifying document recorded.",
    )
    doc.heading("Positions", 2)
    doc.table(
        ["Position", "Organisation", "Dates"],
        [
            [p.title, p.organisation.name if p.organisation else "", p.date]
            for p in Position.objects.filter(actor=actor)
            .select_related("organisation")
            .order_by("date_lower", "pk")
        ],
        "No position recorded.",
    )


def _screening(doc: Document, facts: Facts) -> None:
    doc.heading("Sanctions-list screening")
    if not facts.screening:
        doc.para(
            "No screening judgement is recorded for this person (run `vestige screen` and "
            "record the reviewer's decisions to include them).",
            "note",
        )
        return
    doc.table(
        ["List", "Entity", "Listed name", "Decision", "Decided by", "Note"],
        [
            [s["source"], s["entity"], s["name"], s["decision"], s["by"], s["note"]]
            for s in facts.screening
        ],
    )


def _conduct(doc: Document, facts: Facts) -> None:
    doc.heading("The conduct")
    doc.table(
        ["Date", "Incident", "Places", "Role of the person", "Description"],
        [
            [
                i.date,
                i.title,
                _places(i),
                ", ".join(facts.roles.get(i.pk, [])) or "named in claims",
                i.description,
            ]
            for i in facts.incidents
        ],
        "No incident is linked to this person.",
    )


def _allegations(doc: Document, facts: Facts) -> None:
    from ..law import catalogue

    doc.heading("Allegations and the criteria they meet")
    criteria = []
    for ident in facts.kind.criteria:
        provision = catalogue.find_provision(ident)
        criteria.append(
            f"{ident} — {provision.label}" if provision else f"{ident} (not in the legal texts)"
        )
        if provision:
            doc.para(f"{ident}: {provision.label}. {provision.text}".strip(), "quote")
    numbers = facts.number_of
    rows = []
    for n, incident in enumerate(facts.incidents, 1):
        supporting = [
            c for c in facts.claims if c.stance != "contradicts" and incident in c.incidents.all()
        ]
        exhibits = sorted({_claim_exhibit(c, numbers) for c in supporting})
        rows.append(
            [
                f"A-{n}",
                f"{incident.title} ({incident.date or 'undated'}; "
                f"{_places(incident) or 'place unknown'})",
                "\n".join(criteria),
                ", ".join(exhibits) or "no exhibit yet",
            ]
        )
    doc.table(
        ["No.", "Allegation", "Criterion (law data id)", "Exhibits"],
        rows,
        "No allegation: no incident is linked to this person.",
    )


def _evidence(doc: Document, facts: Facts) -> None:
    numbers = facts.number_of
    doc.heading("Evidence relied on")
    rows = []
    for claim in facts.claims:
        if claim.stance == "contradicts":
            continue
        number = _claim_exhibit(claim, numbers)
        text = claim.text if number != "withheld" else "(withheld: see the exhibit index)"
        rows.append(
            [
                number,
                text,
                claim.date,
                f"{claim.source_grade}{claim.information_grade}",
                claim.status,
            ]
        )
    doc.table(["Exhibit", "Claim", "Date", "Grade", "Status"], rows, "No claim recorded.")


def _exculpatory(doc: Document, facts: Facts) -> None:
    numbers = facts.number_of
    doc.heading("Exculpatory information")
    if facts.actor.exculpatory.strip():
        doc.para(facts.actor.exculpatory.strip())
    contra = [
        [
            _claim_exhibit(c, numbers),
            c.text if c.item_id in numbers else "(withheld)",
            c.asserted_by,
            c.status,
        ]
        for c in facts.claims
        if c.stance == "contradicts"
    ]
    doc.heading("Claims that contradict the allegations", 2)
    doc.table(["Exhibit", "Claim", "Asserted by", "Status"], contra, "None recorded.")
    doc.heading("Verification checks that were rejected", 2)
    doc.table(
        ["Check", "About", "Reviewer", "Reason given"],
        [[r["check"], r["about"], r["by"], r["note"]] for r in facts.rejected_checks],
        "None recorded.",
    )


def _icc(doc: Document, facts: Facts) -> None:
    doc.heading("Jurisdiction")
    dates = [i.date for i in facts.incidents if i.date]
    countries = sorted(
        {p.country_code for i in facts.incidents for p in i.places.all() if p.country_code}
    )
    doc.fields(
        [
            ("Temporal (art. 11)", ", ".join(dates) or PLACEHOLDER + "dates of the conduct"),
            (
                "Territorial (art. 12(2)(a))",
                ", ".join(countries) or PLACEHOLDER + "state(s) where the conduct occurred",
            ),
            (
                "Personal (art. 12(2)(b))",
                ", ".join(facts.actor.nationalities or []) or PLACEHOLDER + "nationality",
            ),
            ("Subject matter (art. 5)", "See the proof chart below."),
        ]
    )
    doc.para(
        PLACEHOLDER + "state whether the territorial or nationality state is a party to the "
        "Statute or has lodged a declaration under article 12(3).",
        "placeholder",
    )
    doc.heading("Admissibility (art. 17)")
    doc.para(
        PLACEHOLDER + "complementarity: any national investigation or prosecution of this "
        "conduct, and why it is absent, not genuine or unable.",
        "placeholder",
    )
    doc.heading("Gravity (art. 17(1)(d), art. 53(1)(b))")
    counts = IncidentCount.objects.filter(incident__in=facts.incidents).order_by(
        "incident_id", "category"
    )
    doc.table(
        ["Incident", "Category", "Low", "Best", "High"],
        [
            [c.incident.title, c.category, str(c.low or ""), str(c.best or ""), str(c.high or "")]
            for c in counts.select_related("incident")
        ],
        "No casualty or displacement count recorded.",
    )
    doc.para(
        f"{len(facts.incidents)} incident(s) linked to the person; scale, nature, manner of "
        "commission and impact to be argued from the exhibits.",
    )
    doc.heading("Interests of justice (art. 53(1)(c))")
    doc.para(
        PLACEHOLDER + "the interests of victims and any reason an investigation would not "
        "serve the interests of justice.",
        "placeholder",
    )
    _proof_chart(doc, facts)


def _proof_chart(doc: Document, facts: Facts) -> None:
    doc.heading("Proof chart")
    try:
        from ..law import proofchart
    except ImportError:  # pragma: no cover - law app absent
        doc.para("No proof chart recorded for this case.", "note")
        return
    hidden = {item.pk for item in facts.withheld}
    chart = proofchart.build(facts.case, actor=facts.actor, hidden_items=hidden)
    if not chart.sections:
        chart = proofchart.build(facts.case, hidden_items=hidden)
    if not chart.sections:
        doc.para("No proof chart recorded for this case.", "note")
        return
    numbers = facts.number_of
    for section in chart.sections:
        doc.heading(section.title, 2)
        rows = []
        for row in section.rows:
            exhibits = sorted({numbers.get(_uuid(e.exhibit.item_id), "?") for e in row.evidence})
            if row.withheld:
                exhibits.append(f"{row.withheld} withheld")
            rows.append(
                [
                    row.element.number,
                    row.element.text,
                    row.status_label,
                    row.note,
                    ", ".join(exhibits),
                ]
            )
        doc.table(["No.", "Element", "Status", "Note", "Exhibits"], rows, "No element.")


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return value


def _people(doc: Document, facts: Facts) -> None:
    doc.heading("Victims and witnesses")
    doc.para(
        "People in the protection registry appear under their pseudonym unless their recorded "
        "consent covers this recipient; their material goes in only with consent to its use "
        "as evidence.",
        "note",
    )
    doc.table(
        ["Person", "Roles", "Exhibits", "Withheld items"],
        [
            [
                p.named or p.pseudonym,
                ", ".join(p.roles),
                ", ".join(p.exhibits),
                str(p.withheld) if p.withheld else "",
            ]
            for p in facts.people
        ],
        "No protected person is linked to this dossier's material.",
    )


def _exhibit_index(doc: Document, facts: Facts) -> None:
    doc.heading("Exhibit index")
    doc.para(
        "Each exhibit is in exhibits/E-nnn/ with its original bytes, its custody report "
        "(custody.csv, custody.json) and is listed with its SHA-256 in SHA256SUMS and in the "
        "signed manifest.json.",
        "note",
    )
    doc.table(
        ["No.", "Title", "Kind", "Media type", "Captured", "SHA-256"],
        [
            [
                e.number,
                e.item.title,
                e.item.kind,
                e.item.media_type,
                e.item.captured_at.date().isoformat(),
                f"{e.item.sha256[:32]}\n{e.item.sha256[32:]}",
            ]
            for e in facts.exhibits
        ],
        "No exhibit.",
    )
    if facts.withheld:
        doc.heading("Withheld material", 2)
        doc.para(
            f"{len(facts.withheld)} item(s) bearing on this dossier are withheld because a "
            "protected person linked to them has not consented to this recipient using them. "
            "They are listed by id in manifest.json.",
        )
