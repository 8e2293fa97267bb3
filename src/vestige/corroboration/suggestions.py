"""Near-duplicate suggestions from the case's fingerprints, and what reviewers make of them.

The case's indexes are built in memory from the stored fingerprints (V1's PDQ, MinHash LSH and
video indexes) and only the fingerprints not yet searched are queried against them, so a search
after an import costs one query per new item. A pair is stored once (``item_a < item_b``); a
pair already judged keeps its judgement and is never suggested again, whatever later searches
find. Exact copies (same SHA-256) are not suggested: they are one source already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from ..cases.access import require
from ..cases.roles import Permission
from ..core.errors import UserError
from ..core.neardup import ImageIndex, Match, TextIndex, VideoIndex
from ..core.neardup.hamming import hex_to_words
from ..core.neardup.image import ImageFingerprint
from ..evidence.custody import actor_label
from ..evidence.models import Item
from .fingerprints import shingles_of, video_of
from .models import (
    Algorithm,
    ItemFingerprint,
    ItemRelation,
    Judgement,
    NearDuplicateSuggestion,
    Relation,
    SuggestionStatus,
    Verdict,
)

# How many neighbours one item may bring into the queue per algorithm.
NEIGHBOURS = 20


def ordered(a: Any, b: Any) -> tuple[str, str]:
    """The pair's ids in the stored order (string order of the UUIDs, as both databases sort)."""
    x, y = str(a), str(b)
    return (x, y) if x < y else (y, x)


@dataclass
class Found:
    """The best match found for one pair in this search."""

    match: Match
    algorithm: str
    details: dict[str, Any] = field(default_factory=dict)


def _image_matches(rows: list[ItemFingerprint], pending: set[int]) -> list[tuple[str, Found]]:
    phash = {
        r.item_id: r.value
        for r in ItemFingerprint.objects.filter(
            item_id__in=[r.item_id for r in rows], algorithm=Algorithm.PHASH
        )
    }
    index = ImageIndex()
    fingerprints: dict[str, ImageFingerprint] = {}
    for row in rows:
        key = str(row.item_id)
        fingerprints[key] = ImageFingerprint(
            hex_to_words(row.value),
            int(row.quality or 0),
            hex_to_words(phash.get(row.item_id) or "0" * 16),
        )
        index.add(key, fingerprints[key])
    found = []
    for row in rows:
        if row.pk not in pending:
            continue
        key = str(row.item_id)
        for match in index.query(fingerprints[key], k=NEIGHBOURS + 1, dihedral=False):
            if match.key != key:
                found.append((key, Found(match, Algorithm.PDQ, dict(match.details))))
    return found


def _text_matches(rows: list[ItemFingerprint], pending: set[int]) -> list[tuple[str, Found]]:
    index = TextIndex()
    sets = {}
    for row in rows:
        sets[row.pk] = shingles_of(row)
        index.add_shingles(str(row.item_id), sets[row.pk])
    index.build()
    found = []
    for row in rows:
        if row.pk not in pending:
            continue
        key = str(row.item_id)
        for match in index.query_shingles(sets[row.pk], k=NEIGHBOURS + 1):
            if match.key != key:
                found.append((key, Found(match, Algorithm.MINHASH)))
    return found


def _video_matches(rows: list[ItemFingerprint], pending: set[int]) -> list[tuple[str, Found]]:
    index = VideoIndex()
    videos = {}
    for row in rows:
        videos[row.pk] = video_of(row)
        index.add(str(row.item_id), videos[row.pk])
    found = []
    for row in rows:
        if row.pk not in pending:
            continue
        key = str(row.item_id)
        for match in index.query(videos[row.pk], k=NEIGHBOURS + 1):
            if match.key != key:
                found.append((key, Found(match, Algorithm.VPDQ, dict(match.details))))
    return found


SEARCHES = {
    Algorithm.PDQ: _image_matches,
    Algorithm.MINHASH: _text_matches,
    Algorithm.VPDQ: _video_matches,
}


def search_pending(case_id: Any, everything: bool = False) -> list[NearDuplicateSuggestion]:
    """Query the case's indexes with every fingerprint not searched yet (all with
    ``everything``) and store the new pairs; returns the suggestions made or improved."""
    best: dict[tuple[str, str], Found] = {}
    searched: list[int] = []
    for algorithm, search in SEARCHES.items():
        rows = list(
            ItemFingerprint.objects.filter(case_id=case_id, algorithm=algorithm).defer(
                "details" if algorithm != Algorithm.VPDQ else "value"
            )
        )
        pending = {r.pk for r in rows if everything or r.searched_at is None}
        if not pending:
            continue
        for key, found in search(rows, pending):
            pair = ordered(key, found.match.key)
            if pair not in best or found.match.score > best[pair].match.score:
                best[pair] = found
        searched.extend(pending)
    stored = _store(case_id, best)
    ItemFingerprint.objects.filter(pk__in=searched).update(searched_at=timezone.now())
    return stored


def _store(case_id: Any, best: dict[tuple[str, str], Found]) -> list[NearDuplicateSuggestion]:
    if not best:
        return []
    ids = {i for pair in best for i in pair}
    sha = {str(k): v for k, v in Item.objects.filter(pk__in=ids).values_list("pk", "sha256")}
    existing = {
        ordered(s.item_a_id, s.item_b_id): s
        for s in NearDuplicateSuggestion.objects.filter(
            case_id=case_id, item_a_id__in=ids, item_b_id__in=ids
        )
    }
    made = []
    for (a, b), found in sorted(best.items()):
        if sha.get(a) == sha.get(b):
            continue  # exact copies: one source without anyone's judgement
        match = found.match
        old = existing.get((a, b))
        if old is not None:
            if old.status == SuggestionStatus.PENDING and match.score > old.score:
                old.score, old.distance = match.score, match.distance
                old.algorithm, old.version = found.algorithm, match.version
                old.details = _plain(found.details)
                old.save(update_fields=["score", "distance", "algorithm", "version", "details"])
                made.append(old)
            continue
        made.append(
            NearDuplicateSuggestion.objects.create(
                case_id=case_id,
                item_a_id=a,
                item_b_id=b,
                algorithm=found.algorithm,
                version=match.version,
                score=match.score,
                distance=match.distance,
                details=_plain(found.details),
            )
        )
    return made


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (numpy scalars become Python numbers)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in details.items()}


# --------------------------------------------------------------------------- judgements


def judge(
    suggestion: NearDuplicateSuggestion, user: Any, verdict: str, note: str = ""
) -> Judgement:
    """Record a reviewer's verdict (VERIFY permission). "same" links the two items as one
    source; a later "different" or "unsure" undoes that link. The judgement is kept."""
    require(user, suggestion.case, Permission.VERIFY)
    if verdict not in Verdict.values:
        raise UserError(f"a judgement is same, different or unsure, not {verdict!r}")
    with transaction.atomic():
        judgement = Judgement.objects.create(
            suggestion=suggestion,
            verdict=verdict,
            user=user,
            user_label=actor_label(user),
            note=note.strip(),
        )
        suggestion.status = verdict
        suggestion.save(update_fields=["status"])
        links = ItemRelation.objects.filter(
            item_a_id=suggestion.item_a_id,
            item_b_id=suggestion.item_b_id,
            relation=Relation.NEAR_DUPLICATE,
        )
        if verdict == Verdict.SAME:
            if not links.exists():
                ItemRelation.objects.create(
                    case_id=suggestion.case_id,
                    item_a_id=suggestion.item_a_id,
                    item_b_id=suggestion.item_b_id,
                    relation=Relation.NEAR_DUPLICATE,
                    judgement=judgement,
                    note=judgement.note,
                    created_by=user,
                    created_by_label=judgement.user_label,
                )
        else:
            links.delete()
    _refresh_earliest_copy([suggestion.item_a_id, suggestion.item_b_id])
    return judgement


def link_items(
    case: Any, user: Any, first: Item, second: Item, relation: str, note: str = ""
) -> ItemRelation:
    """Link two items of ``case`` by hand as copies or translations (EDIT permission)."""
    require(user, case, Permission.EDIT)
    if relation not in (Relation.COPY, Relation.TRANSLATION):
        raise UserError("link items as a copy or a translation")
    if first.case_id != case.pk or second.case_id != case.pk:
        raise UserError("both items must belong to this case")
    if first.pk == second.pk:
        raise UserError("an item cannot be linked to itself")
    a, b = (first, second) if str(first.pk) < str(second.pk) else (second, first)
    if ItemRelation.objects.filter(item_a=a, item_b=b, relation=relation).exists():
        raise UserError(f"these items are already linked as {relation}")
    link = ItemRelation.objects.create(
        case=case,
        item_a=a,
        item_b=b,
        relation=relation,
        note=note.strip(),
        created_by=user,
        created_by_label=actor_label(user),
    )
    _refresh_earliest_copy([a.pk, b.pk])
    return link


def unlink(link: ItemRelation, user: Any) -> None:
    """Remove a link made by hand (EDIT); a judged link is undone by judging again."""
    require(user, link.case, Permission.EDIT)
    if link.judgement_id is not None:
        raise UserError("this link comes from a judgement: judge the suggestion again instead")
    ids = [link.item_a_id, link.item_b_id]
    link.delete()
    _refresh_earliest_copy(ids)


def _refresh_earliest_copy(item_ids: list[Any]) -> None:
    """The earliest-copy finding counts items judged the same; refresh it for both sides."""
    from ..verification.models import FindingKind
    from ..verification.provenance import _store, run_checks
    from .independence import copies_judged_same

    everyone: dict[Any, Item] = {}
    for item in Item.objects.filter(pk__in=item_ids):
        everyone[item.pk] = item
        everyone.update({c.pk: c for c in copies_judged_same(item)})
    for item in everyone.values():
        _store(item, run_checks(item, [FindingKind.EARLIEST_COPY]), [FindingKind.EARLIEST_COPY])
