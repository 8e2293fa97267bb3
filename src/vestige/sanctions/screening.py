"""Screening names and actors against the sanctions lists in force on a date.

The matching itself is :mod:`vestige.core.screening` (pure, no database). This module builds
its index from the list versions :func:`~vestige.sanctions.store.lists_as_of` chooses, caches
it per set of list versions (versions are immutable, so the cache cannot go stale), and
applies reviewers' judgements: a "no match" is shown as dismissed, a "match" is pinned to the
top even if the name would no longer reach the threshold.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..core.errors import UserError
from ..core.screening import (
    ALGORITHM,
    DEFAULT_THRESHOLD,
    NO_QUALIFIERS,
    VERSION,
    ListedRecord,
    Qualifiers,
    ScreeningIndex,
    apply_qualifiers,
    parse_name,
    score_names,
)
from .models import Decision, ListedEntity, ListedName, SanctionsList, ScreeningJudgement
from .store import lists_as_of

_CACHE: OrderedDict[tuple[tuple[int, str], ...], ScreeningIndex] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2
_EDTF_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass
class ScreeningResult:
    """One listed entity that a name matched, with the judgement on it if any."""

    list_source: str
    list_published: date
    entity_pk: int
    entity_id: str
    name: str
    matched_name: str
    schema: str
    score: float
    features: dict[str, Any]
    algorithm: str = ALGORITHM
    version: str = VERSION
    query_name: str = ""
    judgement: str | None = None
    judgement_note: str = ""
    judged_by: str = ""
    programmes: list[str] = field(default_factory=list)

    @property
    def dismissed(self) -> bool:
        return self.judgement == Decision.NO_MATCH

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``vestige screen --json``."""
        return {
            "list": self.list_source,
            "list_published": self.list_published.isoformat(),
            "entity_id": self.entity_id,
            "name": self.name,
            "matched_name": self.matched_name,
            "schema": self.schema,
            "programmes": self.programmes,
            "score": self.score,
            "features": self.features,
            "algorithm": self.algorithm,
            "version": self.version,
            "query": self.query_name,
            "judgement": self.judgement,
            "judgement_note": self.judgement_note,
        }


def query_key(name: str) -> str:
    """The folded, order-free form of a typed name under which its judgements are kept."""
    parsed = parse_name(name)
    return " ".join(sorted(t.keys[0] for t in parsed.tokens))[:1000]


def birth_dates_of(edtf: str) -> tuple[str, ...]:
    """ISO (possibly partial) dates from an EDTF birth date (``1970-05-12``, ``1970``)."""
    match = _EDTF_DATE.match(edtf.strip())
    if not match:
        return ()
    return ("-".join(p for p in match.groups() if p),)


def _records(lists: list[SanctionsList]) -> list[ListedRecord]:
    entities = ListedEntity.objects.filter(list__in=lists).values_list(
        "pk",
        "list__source",
        "entity_id",
        "schema",
        "primary_name",
        "birth_dates",
        "nationalities",
        "gender",
    )
    names: dict[int, list[str]] = {}
    for entity_pk, name in (
        ListedName.objects.filter(entity__list__in=lists)
        .order_by("entity_id", "pk")
        .values_list("entity_id", "name")
        .iterator(chunk_size=20000)
    ):
        names.setdefault(entity_pk, []).append(name)
    out = []
    for pk, source, entity_id, schema, primary, dobs, nats, gender in entities.iterator(
        chunk_size=20000
    ):
        all_names = tuple(dict.fromkeys([primary, *names.get(pk, [])]))
        quals = Qualifiers(tuple(dobs or ()), tuple(nats or ()), gender or "")
        out.append(ListedRecord(pk, source, entity_id, schema, all_names, quals))
    return out


def index_for(lists: list[SanctionsList]) -> ScreeningIndex:
    """The index over these list versions (built once per process and reused)."""
    # The file hash as well as the id: a database id can be reused (a rolled-back test, a list
    # deleted and imported again), a version's content cannot change under its hash.
    key = tuple(sorted((lst.pk, lst.file_sha256) for lst in lists))
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    index = ScreeningIndex(_records(lists))
    with _CACHE_LOCK:
        _CACHE[key] = index
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


def _judgements(
    results: list[ScreeningResult], *, actor: Any = None, key: str = ""
) -> dict[tuple[str, str], ScreeningJudgement]:
    """The newest judgement per (source, entity id) for this actor or typed name."""
    qs = ScreeningJudgement.objects.select_related("entity", "entity__list")
    qs = qs.filter(actor=actor) if actor is not None else qs.filter(actor=None, query_key=key)
    found: dict[tuple[str, str], ScreeningJudgement] = {}
    for judgement in qs.order_by("-decided_at", "-pk"):
        found.setdefault((judgement.source, judgement.entity_ref), judgement)
    return found


def _result(
    lists: dict[str, SanctionsList],
    record: ListedRecord,
    matched: str,
    score: float,
    features: dict[str, Any],
    query: str,
) -> ScreeningResult:
    lst = lists[record.list_label]
    return ScreeningResult(
        list_source=lst.source,
        list_published=lst.published,
        entity_pk=int(record.ref),
        entity_id=record.entity_id,
        name=record.names[0],
        matched_name=matched,
        schema=record.schema,
        score=score,
        features=features,
        query_name=query,
    )


def _pinned(
    entity: ListedEntity, query_names: list[str], qualifiers: Qualifiers
) -> tuple[str, float, dict[str, Any]]:
    """Score a judged-as-match entity that did not reach the threshold this time."""
    listed = Qualifiers(tuple(entity.birth_dates), tuple(entity.nationalities), entity.gender)
    best: tuple[str, float, dict[str, Any]] = (entity.primary_name, 0.0, {})
    for name in [entity.primary_name, *entity.names.values_list("name", flat=True)]:
        for query in query_names:
            scored = apply_qualifiers(
                score_names(parse_name(query), parse_name(name)), qualifiers, listed
            )
            if scored.score > best[1]:
                best = (name, scored.score, scored.features)
    return best


def screen_names(
    names: list[str],
    *,
    qualifiers: Qualifiers = NO_QUALIFIERS,
    as_of: date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 20,
    actor: Any = None,
) -> list[ScreeningResult]:
    """Screen one or more spellings of one person; best result per listed entity."""
    names = [n for n in dict.fromkeys(n.strip() for n in names) if n]
    if not names:
        raise UserError("give a name to screen")
    if not 0.0 <= threshold <= 1.0:
        raise UserError(f"the threshold must be between 0 and 1, not {threshold}")
    lists = lists_as_of(as_of)
    if not lists:
        when = as_of.isoformat() if as_of else "today"
        raise UserError(
            f"no sanctions list published on or before {when}: "
            "import one with `vestige lists import`"
        )
    by_source = {lst.source: lst for lst in lists}
    index = index_for(lists)
    best: dict[int, ScreeningResult] = {}
    for name in names:
        for match in index.search(name, qualifiers, threshold=threshold, limit=limit):
            pk = int(match.record.ref)
            if pk not in best or match.score > best[pk].score:
                best[pk] = _result(
                    by_source, match.record, match.matched_name, match.score, match.features, name
                )
    results = list(best.values())
    judged = _judgements(results, actor=actor, key=query_key(names[0]))
    seen = {(r.list_source, r.entity_id) for r in results}
    for (source, ref), judgement in judged.items():
        if judgement.decision != Decision.MATCH or (source, ref) in seen or source not in by_source:
            continue
        entity = ListedEntity.objects.filter(list=by_source[source], entity_id=ref).first()
        if entity is None:  # delisted since: the judgement stays, the entity is gone
            continue
        matched, score, feats = _pinned(entity, names, qualifiers)
        record = ListedRecord(
            entity.pk, source, ref, entity.schema, (entity.primary_name,), Qualifiers()
        )
        results.append(_result(by_source, record, matched, score, feats, names[0]))
    for result in results:
        kept = judged.get((result.list_source, result.entity_id))
        if kept is not None:
            result.judgement = kept.decision
            result.judgement_note = kept.note
            result.judged_by = kept.decided_by_label
    programmes = dict(
        ListedEntity.objects.filter(pk__in=[r.entity_pk for r in results]).values_list(
            "pk", "programmes"
        )
    )
    for result in results:
        result.programmes = list(programmes.get(result.entity_pk) or [])
    rank: dict[str | None, int] = {"match": 0, "unsure": 1, "no_match": 2}
    results.sort(key=lambda r: (rank.get(r.judgement, 1), -r.score, r.list_source, r.entity_id))
    return results


def screen_name(
    name: str,
    *,
    dob: str | None = None,
    nationality: list[str] | tuple[str, ...] | str | None = None,
    gender: str = "",
    as_of: date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 20,
) -> list[ScreeningResult]:
    """Screen a typed name, with what else is known about the person."""
    if isinstance(nationality, str):
        nationality = [nationality]
    quals = Qualifiers(
        birth_dates_of(dob) if dob else (),
        tuple(n.strip().upper() for n in nationality or () if n.strip()),
        gender or "",
    )
    return screen_names([name], qualifiers=quals, as_of=as_of, threshold=threshold, limit=limit)


def actor_names(actor: Any) -> list[str]:
    """Every name an actor is known by: the shown name and each recorded variant."""
    return [actor.name, *actor.names.values_list("name", flat=True)]


def screen_actor(
    actor: Any,
    *,
    as_of: date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 20,
) -> list[ScreeningResult]:
    """Screen every name of an actor, with the actor's birth date, nationalities and gender."""
    quals = Qualifiers(
        birth_dates_of(actor.birth_date or ""),
        tuple(str(n).upper() for n in actor.nationalities or ()),
        actor.gender or "",
    )
    return screen_names(
        actor_names(actor),
        qualifiers=quals,
        as_of=as_of,
        threshold=threshold,
        limit=limit,
        actor=actor,
    )


def record_judgement(
    entity: ListedEntity,
    decision: str,
    *,
    query_name: str,
    decided_by_label: str,
    user: Any = None,
    actor: Any = None,
    note: str = "",
    score: float | None = None,
) -> ScreeningJudgement:
    """Keep a reviewer's decision; the newest one for an actor/name and entity wins."""
    if decision not in Decision.values:
        raise UserError(f"a judgement is one of {', '.join(Decision.values)}, not {decision!r}")
    return ScreeningJudgement.objects.create(
        case=actor.case if actor is not None else None,
        actor=actor,
        query_name=query_name,
        query_key=query_key(query_name),
        entity=entity,
        source=entity.list.source,
        entity_ref=entity.entity_id,
        decision=decision,
        note=note,
        score=score,
        algorithm=f"{ALGORITHM} {VERSION}",
        decided_by=user,
        decided_by_label=decided_by_label,
    )
