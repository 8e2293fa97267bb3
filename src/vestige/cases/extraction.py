"""Proposing claims from an item's text, and accepting or rejecting the proposals.

:func:`propose_claims` runs :func:`vestige.core.extract.extract_candidates` over the item's text
(its ``text`` derivative, else the original when it is plain text) with the places the case can
see and the case's actors, and keeps each proposal as a :class:`CandidateClaim` waiting for
review. Running it again adds nothing already proposed. :func:`accept_candidate` turns one into a
:class:`Claim` anchored to the same characters of the item; :func:`reject_candidate` sets it
aside. Every claim created and every review is kept in the edit history.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..core.blobstore import LocalBlobStore
from ..core.errors import UserError
from ..core.extract import EXTRACTOR, NameIndex, extract_candidates
from ..evidence.models import Derivative, Item
from .graph import (
    Actor,
    ActorName,
    CandidateClaim,
    CandidateStatus,
    Claim,
    Incident,
    Place,
    PlaceName,
)
from .history import record_change, save_with_history, snapshot

MAX_TEXT_BYTES = 20 * 1024 * 1024


def item_text(item: Item) -> str | None:
    """The item's text: its ``text`` derivative, else the original if it is text; else None.

    The bytes are read through the blob store's verified reader, so a tampered blob raises
    rather than being read.
    """
    store = LocalBlobStore(settings.BLOB_ROOT)
    derivative = (
        Derivative.objects.filter(item=item, kind="text").order_by("-created_at").first()
    )
    if derivative is not None:
        sha256 = derivative.sha256
    elif item.media_type.startswith("text/"):
        sha256 = item.sha256
    else:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in store.open_verified(sha256):
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_TEXT_BYTES:
        raise UserError(f"the item's text is too long to extract from ({size:,} bytes)")
    data = b"".join(chunks)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def place_index(case: Any) -> NameIndex:
    """Every name of the places the case can see (shared gazetteer and its own)."""
    visible = Place.objects.filter(Q(case__isnull=True) | Q(case=case))
    pairs: list[tuple[Any, str]] = list(visible.values_list("pk", "name"))
    pairs += list(
        PlaceName.objects.filter(place__in=visible).values_list("place_id", "name")
    )
    return NameIndex(pairs)


def actor_index(case: Any) -> NameIndex:
    """Every name of the case's actors."""
    pairs: list[tuple[Any, str]] = list(Actor.objects.filter(case=case).values_list("pk", "name"))
    pairs += list(ActorName.objects.filter(actor__case=case).values_list("actor_id", "name"))
    return NameIndex(pairs)


def propose_claims(item: Item, user: Any) -> list[CandidateClaim]:
    """Propose claims from the item's text and keep them for review; return the item's
    candidates from this extractor (new and earlier), in text order.

    UserError when the item has no text to read.
    """
    text = item_text(item)
    if text is None:
        raise UserError(
            f"item {item.pk} has no text to extract claims from (media type {item.media_type})"
        )
    proposals = extract_candidates(text, place_index(item.case), actor_index(item.case))
    existing = set(
        CandidateClaim.objects.filter(item=item, extractor=EXTRACTOR).values_list("start", "end")
    )
    new = []
    for proposal in proposals:
        if (proposal.start, proposal.end) in existing:
            continue
        document = proposal.as_dict()
        body = document.pop("text")
        document.pop("start")
        document.pop("end")
        new.append(CandidateClaim(
            case=item.case, item=item, text=body, start=proposal.start, end=proposal.end,
            proposal=document, extractor=EXTRACTOR,
        ))
    if new:
        CandidateClaim.objects.bulk_create(new, ignore_conflicts=True)
    return list(
        CandidateClaim.objects.filter(item=item, extractor=EXTRACTOR).order_by("start", "end")
    )


def accept_candidate(
    candidate: CandidateClaim, user: Any, incident: Incident | None = None
) -> Claim:
    """Make the candidate a claim anchored to its span of the item; attach it to ``incident``.

    The claim takes the first date as its EDTF date, the places and actors found (those that
    still exist and that the case can see), the hedges and the attribution. UserError if the
    candidate was already reviewed or the incident belongs to another case.
    """
    if candidate.status != CandidateStatus.PENDING:
        raise UserError(f"this candidate was already {candidate.status}")
    if incident is not None and incident.case_id != candidate.case_id:
        raise UserError("the incident belongs to another case")
    proposal = candidate.proposal or {}
    dates = [d.get("edtf") for d in proposal.get("dates", []) if d.get("edtf")]
    place_ids = {p.get("id") for p in proposal.get("places", [])}
    actor_ids = {a.get("id") for a in proposal.get("actors", [])}
    with transaction.atomic():
        claim = Claim(
            case_id=candidate.case_id,
            item_id=candidate.item_id,
            text=candidate.text,
            anchor={"start": candidate.start, "end": candidate.end},
            date=dates[0] if dates else "",
            asserted_by=str(proposal.get("attribution", ""))[:300],
            hedges=list(proposal.get("hedges", [])),
            content={
                "dates": dates,
                "quantities": proposal.get("quantities", []),
                "events": proposal.get("events", []),
                "extractor": candidate.extractor,
                "candidate": candidate.pk,
            },
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        save_with_history(claim, user)
        before = snapshot(claim)
        places = Place.objects.filter(
            Q(case__isnull=True) | Q(case_id=candidate.case_id), pk__in=place_ids
        )
        actors = Actor.objects.filter(case_id=candidate.case_id, pk__in=actor_ids)
        claim.places.set(places)
        claim.actors.set(actors)
        if incident is not None:
            claim.incidents.add(incident)
        if places.exists() or actors.exists() or incident is not None:
            record_change(claim, user, before)
        candidate.status = CandidateStatus.ACCEPTED
        candidate.claim = claim
        candidate.reviewed_by = user if getattr(user, "is_authenticated", False) else None
        candidate.reviewed_at = timezone.now()
        save_with_history(candidate, user)
    return claim


def reject_candidate(candidate: CandidateClaim, user: Any) -> CandidateClaim:
    """Set the candidate aside (kept, marked rejected, with who and when)."""
    if candidate.status != CandidateStatus.PENDING:
        raise UserError(f"this candidate was already {candidate.status}")
    candidate.status = CandidateStatus.REJECTED
    candidate.reviewed_by = user if getattr(user, "is_authenticated", False) else None
    candidate.reviewed_at = timezone.now()
    save_with_history(candidate, user)
    return candidate
