"""The kinds of dossier: who they are for, the criteria they argue, and their sections."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import UserError


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    recipient: str  # the protection registry's recipient whose consent counts by default
    criteria: tuple[str, ...]  # law data ids each allegation is tied to (empty: none)
    audience: str
    sanctions: bool = False  # has the impact argument and the sanctions-list sections


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "us-glomag",
            "Submission for a Global Magnitsky designation (EO 13818) and a §7031(c) visa bar",
            "national_authority",
            ("us.eo13818.1.a.ii.a", "us.sfops.7031c"),
            "U.S. Department of the Treasury (OFAC) and Department of State",
            sanctions=True,
        ),
        Kind(
            "eu-ghr",
            "Submission for listing under the EU Global Human Rights Sanctions Regime "
            "(Regulation (EU) 2020/1998)",
            "national_authority",
            ("eu.2020-1998.art2.1.c", "eu.2020-1998.art3.3"),
            "Council of the European Union / European External Action Service",
            sanctions=True,
        ),
        Kind(
            "uk-ghr",
            "Submission for designation under the UK Global Human Rights Sanctions "
            "Regulations 2020",
            "national_authority",
            ("uk.ghr2020.reg6", "uk.ghr2020.reg4"),
            "Foreign, Commonwealth & Development Office (UK Sanctions)",
            sanctions=True,
        ),
        Kind(
            "icc-art15",
            "Communication to the Office of the Prosecutor under article 15 of the Rome Statute",
            "icc",
            (),
            "Office of the Prosecutor, International Criminal Court",
        ),
        Kind(
            "war-crimes-unit",
            "Exhibit bundle for a national war-crimes unit",
            "national_authority",
            (),
            "National war-crimes unit (police / prosecution)",
        ),
    )
}


def kind_named(name: str) -> Kind:
    """The kind called ``name``, or a UserError listing the known ones."""
    try:
        return KINDS[name]
    except KeyError:
        raise UserError(f"unknown dossier kind {name!r}; known: {', '.join(KINDS)}") from None
