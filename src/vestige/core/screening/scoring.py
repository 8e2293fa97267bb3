"""Scoring one query name against one listed name, with the features that explain the score.

The name score aligns the two names' tokens (any order, so ``ALIYEV, Rashad`` and
``Rashad Aliyev`` align fully), weighs what was matched against what each side has, and
forgives what documents habitually drop (patronymics, particles, initials written out).
Qualifiers then move the score: a matching date of birth raises it, a contradicting one lowers
it sharply; nationality and gender likewise. Every adjustment is a named feature, so a
reviewer sees why a result scored what it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .normalize import ParsedName, Role, Token
from .similarity import keys_similarity

ALGORITHM = "vestige-align"
VERSION = "1.0"
DEFAULT_THRESHOLD = 0.78
# A token pair below this similarity is not aligned at all.
MIN_TOKEN_SIM = 0.62
# A pair at least this similar counts as the same word for the "one shared word" rule.
STRONG_SIM = 0.8
# Discount for aligning a given name with a patronymic.
CROSS_ROLE = 0.85
# Subtracted when both names give a patronymic and the two differ.
PATRONYMIC_CONFLICT = 0.15
# Weight of a token in the name, by role: unmatched patronymics and particles cost little.
_WEIGHT = {Role.NAME: 1.0, Role.INITIAL: 0.5, Role.PATRONYMIC: 0.4, Role.PARTICLE: 0.2}
# A written-out initial against a full word: the letter matches, but weakly.
_INITIAL_SIM = 0.9


@dataclass(frozen=True, slots=True)
class Qualifiers:
    """What else is known about a person: ISO dates (may be partial: YYYY or YYYY-MM)."""

    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    gender: str = ""


NO_QUALIFIERS = Qualifiers()


@dataclass(slots=True)
class NameScore:
    """The name-only score with its features."""

    score: float
    features: dict[str, Any] = field(default_factory=dict)


def _pair_sim(q: Token, c: Token) -> float:
    if q.role == Role.INITIAL or c.role == Role.INITIAL:
        qa = q.keys[0][:1] if q.role == Role.INITIAL else None
        ca = c.keys[0][:1] if c.role == Role.INITIAL else None
        if qa and ca:
            return 1.0 if qa == ca else 0.0
        letter = qa or ca
        other = c if qa else q
        return _INITIAL_SIM if any(k[:1] == letter for k in other.keys) else 0.0
    sim = keys_similarity(q.keys, c.keys)
    if {q.role, c.role} == {Role.NAME, Role.PATRONYMIC}:
        # A given name against a father's name (Oleksandr / Aleksandrovich): possible in
        # Azerbaijani order, but the given name against the given name should win the pairing.
        sim *= CROSS_ROLE
    return sim


def _align(q: tuple[Token, ...], c: tuple[Token, ...]) -> list[tuple[int, int, float]]:
    """Greedy best-first one-to-one alignment of tokens (names are short: fine and fast)."""
    pairs = []
    for i, qt in enumerate(q):
        for j, ct in enumerate(c):
            s = _pair_sim(qt, ct)
            if s >= MIN_TOKEN_SIM:
                pairs.append((s, i, j))
    pairs.sort(key=lambda p: (-p[0], abs(p[1] - p[2])))
    used_q: set[int] = set()
    used_c: set[int] = set()
    out = []
    for s, i, j in pairs:
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        out.append((i, j, s))
    return out


def _weight(t: Token) -> float:
    return _WEIGHT.get(t.role, 1.0)


def score_names(query: ParsedName, listed: ParsedName) -> NameScore:
    """Score two parsed names (0..1) and say which features produced the score."""
    q, c = query.tokens, listed.tokens
    if not q or not c:
        return NameScore(0.0, {"reason": "empty name"})
    pairs = _align(q, c)
    w_q = sum(_weight(t) for t in q)
    w_c = sum(_weight(t) for t in c)
    # Squared: a weak alignment (Ramil/Kamal, 0.7) must count for much less than a close one.
    matched_q = sum(s * s * max(_weight(q[i]), _weight(c[j])) for i, j, s in pairs)
    matched_c = matched_q
    cov_q = min(1.0, matched_q / w_q)
    cov_c = min(1.0, matched_c / w_c)
    full_q = [
        i
        for i, j, s in pairs
        if s >= STRONG_SIM and q[i].role == Role.NAME and c[j].role == Role.NAME
    ]
    full_names = sum(1 for t in q if t.role == Role.NAME), sum(1 for t in c if t.role == Role.NAME)
    score = 0.55 * min(cov_q, cov_c) + 0.45 * max(cov_q, cov_c)
    features: dict[str, Any] = {
        "aligned": [[q[i].text, c[j].text, round(s, 3)] for i, j, s in pairs],
        "token_similarity": round(sum(s for _, _, s in pairs) / len(pairs), 3) if pairs else 0.0,
        "coverage_query": round(cov_q, 3),
        "coverage_listed": round(cov_c, 3),
    }
    # One full word in common between multi-word names is a shared surname, not a match.
    if len(full_q) < 2 and min(full_names) >= 2:
        score = min(score, 0.5)
        features["single_token_only"] = True
    initials = sum(1 for i, j, _ in pairs if Role.INITIAL in (q[i].role, c[j].role))
    if initials:
        features["initials"] = initials
    order = [j for _, j, _ in sorted(pairs)]
    if len(order) >= 2 and order != sorted(order):
        features["order_swap"] = True
    if query.script and listed.script and query.script != listed.script:
        features["script_cross"] = f"{query.script}→{listed.script}"
    patronymics = [t.text for t in (*q, *c) if t.role == Role.PATRONYMIC]
    if patronymics or query.markers or listed.markers:
        dropped = [
            t.text
            for k, t in enumerate(q)
            if t.role == Role.PATRONYMIC and k not in {i for i, _, _ in pairs}
        ] + [
            t.text
            for k, t in enumerate(c)
            if t.role == Role.PATRONYMIC and k not in {j for _, j, _ in pairs}
        ]
        features["patronymic"] = "dropped" if dropped else "matched"
        q_pat = [k for k, t in enumerate(q) if t.role == Role.PATRONYMIC]
        c_pat = [k for k, t in enumerate(c) if t.role == Role.PATRONYMIC]
        aligned_q = {i for i, _, _ in pairs}
        aligned_c = {j for _, j, _ in pairs}
        if (
            q_pat
            and c_pat
            and not any(k in aligned_q for k in q_pat)
            and not any(k in aligned_c for k in c_pat)
        ):
            # Both name a father and the names differ: likely a sibling or a namesake.
            features["patronymic"] = "conflict"
            score -= PATRONYMIC_CONFLICT
    return NameScore(round(max(0.0, min(1.0, score)), 4), features)


def _date_parts(value: str) -> tuple[int, ...]:
    parts = []
    for piece in value.strip()[:10].split("-"):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def compare_dates(query: tuple[str, ...], listed: tuple[str, ...]) -> str | None:
    """exact | partial (same year, or same as far as both go) | near (±1 year) | mismatch."""
    best: str | None = None
    rank = {"mismatch": 0, "near": 1, "partial": 2, "exact": 3}
    for a in query:
        pa = _date_parts(a)
        for b in listed:
            pb = _date_parts(b)
            if not pa or not pb:
                continue
            n = min(len(pa), len(pb))
            if pa[:n] == pb[:n]:
                verdict = "exact" if len(pa) == len(pb) == 3 else "partial"
            elif pa[0] == pb[0]:
                verdict = "partial" if n < 3 else "mismatch"
                if n >= 2 and pa[1] != pb[1]:
                    verdict = "mismatch"
                if n == 3 and pa[1] == pb[1] and pa[2] != pb[2]:
                    verdict = "mismatch"
            elif abs(pa[0] - pb[0]) == 1:
                verdict = "near"
            else:
                verdict = "mismatch"
            if best is None or rank[verdict] > rank[best]:
                best = verdict
    return best


# How each qualifier verdict moves the name score.
_ADJUST = {
    ("dob", "exact"): 0.08,
    ("dob", "partial"): 0.03,
    ("dob", "near"): -0.08,
    ("dob", "mismatch"): -0.3,
    ("nationality", "match"): 0.03,
    ("nationality", "mismatch"): -0.08,
    ("gender", "mismatch"): -0.25,
}


def apply_qualifiers(base: NameScore, query: Qualifiers, listed: Qualifiers) -> NameScore:
    """Raise or lower a name score by date of birth, nationality and gender."""
    score = base.score
    feats = dict(base.features)
    feats["name_score"] = base.score
    dob = compare_dates(query.birth_dates, listed.birth_dates)
    if dob:
        feats["dob"] = dob
        score += _ADJUST[("dob", dob)]
    if query.nationalities and listed.nationalities:
        qn = {n.upper() for n in query.nationalities}
        ln = {n.upper() for n in listed.nationalities}
        verdict = "match" if qn & ln else "mismatch"
        feats["nationality"] = verdict
        score += _ADJUST[("nationality", verdict)]
    if query.gender and listed.gender:
        same = query.gender[:1].lower() == listed.gender[:1].lower()
        feats["gender"] = "match" if same else "mismatch"
        if not same:
            score += _ADJUST[("gender", "mismatch")]
    return NameScore(round(max(0.0, min(1.0, score)), 4), feats)
