"""Candidate claims from text: sentences with their dates, counts, places, actors and hedges.

:func:`extract_candidates` splits a text into sentences (minding quotations and abbreviations
such as ``U.S.`` or ``D-Md.``) and proposes each one that states a date, a count, a known place
or actor, or an event of interest (killed, displaced, blockade, ceasefire, shelled …). Every
proposal carries character offsets into the text it was given, so ``text[start:end]`` is the
sentence, and the same for each date, count and name inside it. It also names who asserts it
(``Senator Cardin`` from ``… ,” Senator Cardin wrote``; ``the State Department’s 2022 Human
Right Report`` from ``… Report cites …``) and the hedges (``reportedly``, ``allegedly``).

A person reviews every proposal: nothing here becomes a claim by itself. :func:`score` compares
proposals with a hand-made gold list (precision, recall, field accuracy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .dates import find_date_spans
from .names import word_keys
from .quantities import find_quantities

EXTRACTOR = "vestige.extract/1"

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class NameMatch:
    """One occurrence of a known name in a text."""

    id: Any
    text: str
    start: int
    end: int
    name: str

    def as_dict(self, offset: int = 0) -> dict[str, Any]:
        """The JSON form, with offsets shifted by ``offset``."""
        return {"text": self.text, "id": self.id, "name": self.name,
                "start": self.start + offset, "end": self.end + offset}


def _inflectable(word: str) -> bool:
    """Whether a word is in a script whose nouns take case endings (Armenian, Cyrillic)."""
    return any("\u0400" <= c <= "\u04ff" or "\u0530" <= c <= "\u058f" for c in word)


class NameIndex:
    """Finds every occurrence of a set of names in a text, whatever the script.

    Built from ``(id, name)`` pairs; each name is folded word by word with
    :func:`vestige.core.names.word_keys`, so ``Stepanakert``, ``Ստեփանակերտ`` and ``Степанакерт``
    all match a place known by any one of them. Multi-word names match consecutive words. In
    Armenian and Cyrillic text a short case ending on the last word is allowed
    (``Степанакерте``, ``Ստեփանակերտում``). Where matches overlap, the longest wins.
    """

    max_ending = 3

    def __init__(self, names: Iterable[tuple[Any, str]]) -> None:
        self._by_first: dict[str, list[tuple[Any, str, list[frozenset[str]]]]] = {}
        self._stems: dict[str, list[tuple[Any, str, list[frozenset[str]]]]] = {}
        self.size = 0
        seen: set[tuple[Any, tuple[frozenset[str], ...]]] = set()
        for ident, name in names:
            words = _TOKEN.findall(name)
            if not words:
                continue
            keys = [word_keys(w) for w in words]
            if not all(keys):
                continue
            marker = (ident, tuple(keys))
            if marker in seen:
                continue
            seen.add(marker)
            self.size += 1
            entry = (ident, name, keys)
            for key in keys[0]:
                self._by_first.setdefault(key, []).append(entry)
            for key in keys[0]:
                if len(key) >= 4:  # for inflected first words (Лачинскому, Ղարաբաղի)
                    self._stems.setdefault(key[:4], []).append(entry)

    def __len__(self) -> int:
        return self.size

    def _ending_match(self, token: str, keys: frozenset[str], name_keys: frozenset[str]) -> bool:
        """Whether an Armenian or Cyrillic word is the name with another case ending
        (``Степанакерте``, ``Лачинскому`` for ``Лачинский``, ``Ստեփանակերտում``)."""
        if not _inflectable(token):
            return False
        for name_key in name_keys:
            for cut in (0, 1, 2):
                stem = name_key[: len(name_key) - cut] if cut else name_key
                if len(stem) < 4:
                    break
                for key in keys:
                    if key.startswith(stem) and 0 < len(key) - len(stem) <= self.max_ending:
                        return True
        return False

    def find(self, text: str) -> list[NameMatch]:
        """Every occurrence in ``text`` (non-overlapping, longest first, in text order)."""
        words = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        keys = [word_keys(w[0]) for w in words]
        found: list[tuple[int, int, Any, str]] = []  # (first word, last word + 1, id, name)
        for i, word_key in enumerate(keys):
            inflectable = _inflectable(words[i][0])
            entries: list[tuple[Any, str, list[frozenset[str]]]] = []
            for key in word_key:
                entries.extend(self._by_first.get(key, ()))
                if inflectable and len(key) >= 4:
                    entries.extend(self._stems.get(key[:4], ()))
            for ident, name, name_keys in entries:
                n = len(name_keys)
                if i + n > len(words):
                    continue
                ok = True
                for j in range(n):
                    token_keys = keys[i + j]
                    if token_keys & name_keys[j]:
                        continue
                    if self._ending_match(words[i + j][0], token_keys, name_keys[j]):
                        continue
                    ok = False
                    break
                if ok and _joined(text, words, i, i + n):
                    found.append((i, i + n, ident, name))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
        used: set[int] = set()
        matches: list[NameMatch] = []
        for first, last, ident, name in found:
            if any(k in used for k in range(first, last)):
                continue
            used.update(range(first, last))
            start, end = words[first][1], words[last - 1][2]
            matches.append(NameMatch(ident, text[start:end], start, end, name))
        matches.sort(key=lambda m: m.start)
        return matches


def _joined(text: str, words: list[tuple[str, int, int]], first: int, last: int) -> bool:
    """Whether words first..last-1 are separated only by spaces, hyphens or apostrophes."""
    for k in range(first, last - 1):
        gap = text[words[k][2]:words[k + 1][1]]
        if len(gap) > 3 or gap.strip(" -‐–'’\u00a0"):
            return False
    return True


# ----------------------------------------------------------------------------- sentences

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "maj", "capt",
    "sgt", "st", "mt", "no", "nos", "vs", "etc", "e.g", "i.e", "u.s", "u.k", "u.n", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "inc", "ltd",
    "co", "corp", "jr", "sr", "art", "para", "p", "pp", "approx", "est", "md", "va", "calif",
    "wash", "d-md", "r-fla", "d-ny", "gg", "г", "гг", "т", "д", "им", "ул", "тыс", "млн",
    "ст", "թ", "տ", "պ", "fig", "vol", "ed", "al", "cf", "ibid",
}
_TERMINATORS = ".!?։…"
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«([—–-•*"
_BULLET_LINE = re.compile(r"\n[ \t]*(?:[•\-*–—▪●]|\d{1,2}[.)])\s")


@dataclass(frozen=True)
class Sentence:
    """A sentence and its character range in the text."""

    text: str
    start: int
    end: int


def _abbreviation_before(text: str, dot: int) -> bool:
    """Whether the '.' at ``dot`` ends an abbreviation or an initial rather than a sentence."""
    j = dot
    while j > 0 and not text[j - 1].isspace() and text[j - 1] not in "(\"“«'‘":
        j -= 1
    word = text[j:dot].lower().strip(".")
    if not word:
        return False
    if word in _ABBREVIATIONS or word.split("-")[-1] in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith"
    return bool(re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word))  # U.S, e.g


def _next_starts_sentence(text: str, position: int) -> bool:
    """Whether the text after whitespace at ``position`` looks like the start of a sentence."""
    k = position
    while k < len(text) and text[k] in _OPENERS + " \t":
        k += 1
    if k >= len(text):
        return True
    char = text[k]
    return char.isupper() or char.isdigit() or (not char.isalpha() and char not in ",;:")


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` with their ranges (blank lines and bullets also end one)."""
    boundaries: list[int] = []
    length = len(text)
    i = 0
    while i < length:
        char = text[i]
        if char == "\n":
            blank = re.match(r"\n[ \t]*\n", text[i:i + 40])
            if blank or _BULLET_LINE.match(text, i):
                boundaries.append(i)
            else:
                # A line break after a line that ends like a sentence or heading part.
                before = text[:i].rstrip(" \t")
                if before and before[-1] in ";:" and _next_starts_sentence(text, i + 1):
                    boundaries.append(i)
            i += 1
            continue
        if char in _TERMINATORS:
            j = i + 1
            while j < length and text[j] in _TERMINATORS:
                j += 1
            while j < length and text[j] in _CLOSERS:
                j += 1
            if char == "։":
                boundaries.append(j)
                i = j
                continue
            if j < length and not text[j].isspace():
                i = j
                continue
            # "U.S. Senator", "Mr. Blinken", "J. Smith": no boundary. (A sentence that ends
            # with an abbreviation is joined to the next; "etc." is the exception.)
            if (
                char == "." and j == i + 1 and _abbreviation_before(text, i)
                and not (text[:i].lower().endswith("etc") and _next_starts_sentence(text, j))
            ):
                i = j
                continue
            if _next_starts_sentence(text, j):
                boundaries.append(j)
            i = j
            continue
        i += 1
    sentences: list[Sentence] = []
    start = 0
    for boundary in [*boundaries, length]:
        chunk = text[start:boundary]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            # Drop a bullet marker at the front.
            marker = re.match(r"(?:[•\-*–—▪●]|\d{1,2}[.)])\s+", stripped)
            if marker:
                lead += marker.end()
                stripped = stripped[marker.end():]
            if stripped:
                s = start + lead
                sentences.append(Sentence(stripped, s, s + len(stripped)))
        start = boundary
    return sentences


# ----------------------------------------------------------------------------- signals

_EVENT_WORDS = (
    r"kill(?:ed|ing|ings)?|wound(?:ed|ing)?|injur(?:ed|ies|y|ing)|dead|died|deaths?|"
    r"displac(?:ed|ement)|drove|driven out|forced to flee|fled|flee(?:ing)?|expell(?:ed)?|"
    r"deport(?:ed|ation)|evacuat(?:ed|ion)|blockad(?:e|ed|ing)|ceasefire|cease-fire|truce|"
    r"destroy(?:ed|ing)?|destruction|demolish(?:ed)?|damag(?:ed|ing)|seiz(?:ed|ing|ure)|"
    r"detain(?:ed|ing)?|detention|arrest(?:ed)?|captur(?:ed|e)|abduct(?:ed|ion)|"
    r"shell(?:ed|ing)|strikes?|struck|bomb(?:ed|ing|ardment)|missiles?|rockets?|drones?|"
    r"attack(?:ed|s)?|assault|offensive|invasion|invaded|occup(?:ied|ation)|"
    r"execut(?:ed|ion|ions)|tortur(?:e|ed)|mistreat(?:ed|ment)|ill-treatment|"
    r"disappear(?:ed|ance)|missing|loot(?:ed|ing)|burn(?:ed|t|ing)|massacre|shot|fired|"
    r"ethnic cleansing|atrocit(?:y|ies)|war crimes?|mines?|landmines?|hostages?|prisoners?|"
    r"vandali[sz](?:ed|ing)|desecrat(?:ed|ion)|military action|clashes|fighting|"
    r"executing|cluster munitions?|artillery|indiscriminate|"
    # Russian stems
    r"убит\w*|убил\w*|погиб\w*|ранен\w*|обстрел\w*|разруш\w*|уничтож\w*|захват\w*|"
    r"задержан\w*|блокад\w*|перемири\w*|беженц\w*|вынужден\w*|покинул\w*|удар\w*|"
    r"плен\w*|пытк\w*|заблокир\w*|депорт\w*|наступлени\w*|атак\w*|осквернен\w*|"
    # Armenian stems
    r"սպան\w*|զոհ\w*|վիրավոր\w*|ռմբակոծ\w*|հրետակոծ\w*|ավեր\w*|շրջափակ\w*|հրադադար\w*|"
    r"տեղահան\w*|բռնագաղթ\w*|գերի\w*|ձերբակալ\w*|հարձակ\w*|ոչնչաց\w*|պղծ\w*|գնդակոծ\w*|"
    r"հեռացել\w*|լքել\w*|հրթիռակոծ\w*|փախստական\w*"
)
EVENT_VERBS = re.compile(rf"(?<![^\W_])(?:{_EVENT_WORDS})(?![^\W_])", re.IGNORECASE)

_HEDGE_WORDS = (
    r"reportedly|allegedly|alleged|according to|it is alleged|purportedly|apparently|"
    r"unconfirmed|unverified|is said to|are said to|was said to|were said to|"
    r"believed to|suspected|claimed|claims that|reports of|may have|might have|possibly|"
    r"potential|appears? to|appeared to|i believe|we believe|"
    r"по сообщениям|по данным|по словам|по информации|якобы|предположительно|возможно|"
    r"по неподтвержденным данным|как сообщается|"
    r"հաղորդվում է|ըստ|իբր|հավանաբար|ենթադրաբար|տեղեկություններով|ինչպես հայտնում"
)
HEDGES = re.compile(rf"(?<![^\W_])(?:{_HEDGE_WORDS})(?![^\W_])", re.IGNORECASE)

_SPEECH_VERBS = (
    r"said|says|wrote|writes|stated|states|told|tells|added|adds|continued|concluded|noted|"
    r"notes|warned|reported|reports|cites|cited|claimed|claims|alleged|alleges|testified|"
    r"recalled|recounts|recounted|documented|documents|found|finds|announced|declared|"
    r"confirmed|denied|insisted|reminded|asserted|argued|explained|described|blamed|accused"
)
_CAP = r"(?:[A-Z][\w.’'\-]*|\d{4}|of|the|for|on|and|de|al)"
_WHO = rf"(?:[Tt]he\s+)?(?:{_CAP}\s+){{0,8}}[A-Z][\w’'\-]*(?:\s+\([^)]{{1,20}}\))?"
_GENERIC_WHO = (
    r"(?:(?:a|the|one|another|several)\s+)?(?:(?:local|city|district|regional|government|"
    r"military|rescue|aid|Armenian|Azerbaijani|Russian|other|two|three)\s+)?"
    r"(?:witness(?:es)?|residents?|workers?|administration|authorities|government|ministry|"
    r"police|army|"
    r"survivors?|officials?|sources?|doctors?|nurses?|journalists?|observers?|villagers?|"
    r"refugees?|soldiers?|he|she|they)"
)
_ATTRIBUTION_PATTERNS = (
    # ,” Senator Cardin wrote.   /  ," he continued.
    re.compile(rf"[”\"»]\s*[,—–-]?\s*(?P<who>{_WHO}|{_GENERIC_WHO})\s+(?:{_SPEECH_VERBS})\b"),
    re.compile(rf"[”\"»]\s*[,—–-]?\s*(?:{_SPEECH_VERBS})\s+(?P<who>{_WHO})"),
    # according to Human Rights Watch,
    re.compile(r"\b[Aa]ccording to (?P<who>(?:the\s+)?[^,.;:]{2,80}?)(?=[,.;:]|\s+(?:at least|"
               r"some|around|about|more than|\d))"),
    # the State Department’s 2022 Human Right Report cites …
    re.compile(rf"(?:^|[,;:]\s+|\b(?:and|but|while|where)\s+)(?P<who>{_WHO}|{_GENERIC_WHO})"
               rf"(?:,[^,]{{1,60}},)?\s+(?:also\s+|later\s+|strongly\s+)?(?:{_SPEECH_VERBS})\b"),
    # Russian: по словам X, / по данным X, / — заявил X / X заявил
    re.compile(r"(?:[Пп]о (?:словам|данным|сообщению|информации)) (?P<who>[^,.;]{2,80}?)(?=[,.;])"),
    re.compile(r",\s*(?:сообщают|сообщает|заявляют|заявляет|утверждают|отмечают)\s+"
               r"(?P<who>[^,.;]{2,60}?)(?=[,.;]|$)"),
    re.compile(r"[—–-]\s*(?:заявил|сообщил|сказал|написал|отметил|рассказал|добавил)а?\s+"
               r"(?P<who>[^,.;]{2,60}?)(?=[,.;]|$)"),
    re.compile(r"(?P<who>[А-ЯЁ][\w-]*(?:\s+[А-ЯЁA-Z\w][\w-]*){0,4})\s+(?:заявил|сообщил|сказал|"
               r"написал|отметил|рассказал|указал|сообщает|отмечает|утверждает|отрицает|"
               r"отрицают|обвинил|обвиняет)[аи]?(?![^\W_])"),
    # Armenian: ըստ X-ի / X-ը հայտնել է
    re.compile(r"(?:Ըստ|ըստ) (?P<who>[^,։.]{2,60}?)(?=[,։.])"),
    re.compile(r"(?P<who>[\u0531-\u0587][\u0531-\u0587\w-]*(?:\s+[\u0531-\u0587\w-]+){0,4})\s+"
               r"(?:հայտնել|հայտարարել|ասել|նշել|գրել|պատմել|հաղորդել)\s+(?:է|են)"),
)
_PRONOUNS = {"he", "she", "they", "him", "her"}


def find_hedges(text: str) -> list[str]:
    """The hedging words of a sentence, lower-cased, in order, each once."""
    hedges: list[str] = []
    for match in HEDGES.finditer(text):
        word = match.group(0).lower()
        if word not in hedges:
            hedges.append(word)
    return hedges


def find_attribution(text: str) -> str:
    """Who the sentence says asserts it (``Senator Cardin``), or ``""``."""
    for pattern in _ATTRIBUTION_PATTERNS:
        match = pattern.search(text)
        if match:
            who = match["who"].strip(" ,")
            if who and who.lower() not in {"it", "this", "that", "there", "the"}:
                return who
    return ""


# ----------------------------------------------------------------------------- candidates

@dataclass
class CandidateSpan:
    """A proposed claim: a sentence of the text and what it states."""

    text: str
    start: int
    end: int
    dates: list[dict[str, Any]] = field(default_factory=list)
    quantities: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    actors: list[dict[str, Any]] = field(default_factory=list)
    hedges: list[str] = field(default_factory=list)
    attribution: str = ""
    events: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "text": self.text, "start": self.start, "end": self.end, "dates": self.dates,
            "quantities": self.quantities, "places": self.places, "actors": self.actors,
            "hedges": self.hedges, "attribution": self.attribution, "events": self.events,
        }

    @property
    def edtf_dates(self) -> list[str]:
        """The EDTF values of the dates, in order."""
        return [d["edtf"] for d in self.dates if d.get("edtf")]


def _opens_quote(text: str) -> int:
    """+1 if the sentence leaves a quotation open, -1 if it closes one, else 0."""
    opened = text.count("“") + text.count("«")
    closed = text.count("”") + text.count("»")
    straight = text.count('"')
    if straight % 2:
        stripped = text.lstrip()
        return 1 if stripped.startswith('"') else -1
    return (opened > closed) - (closed > opened)


def extract_candidates(
    text: str, places: NameIndex | None = None, actors: NameIndex | None = None
) -> list[CandidateSpan]:
    """Propose each sentence of ``text`` that states a date, a count, a known place or actor,
    or an event of interest; offsets are character offsets into ``text``."""
    sentences = split_sentences(text)
    place_matches = places.find(text) if places is not None and len(places) else []
    actor_matches = actors.find(text) if actors is not None and len(actors) else []
    # A name found as an actor is not also a place (e.g. "Azerbaijan" the state and the land).
    candidates: list[CandidateSpan] = []
    last_named = ""
    quote_members: list[CandidateSpan] = []
    in_quote = False
    for sentence in sentences:
        body = sentence.text
        date_spans = find_date_spans(body)
        quantities = find_quantities(body, [(d.start, d.end) for d in date_spans])
        inside = [m for m in place_matches if sentence.start <= m.start and m.end <= sentence.end]
        actors_inside = [
            m for m in actor_matches if sentence.start <= m.start and m.end <= sentence.end
        ]
        events = []
        for match in EVENT_VERBS.finditer(body):
            word = match.group(0).lower()
            if word not in events:
                events.append(word)
        attribution = find_attribution(body)
        if attribution.lower() in _PRONOUNS or attribution.lower().startswith(("he ", "she ")):
            attribution = last_named or attribution
        elif attribution and attribution[:1].isupper():
            last_named = attribution
        quote_state = _opens_quote(body)
        candidate = CandidateSpan(
            text=body, start=sentence.start, end=sentence.end,
            dates=[d.as_dict(sentence.start) for d in date_spans if d.edtf],
            quantities=[q.as_dict(sentence.start) for q in quantities],
            places=_unique([m.as_dict() for m in inside]),
            actors=_unique([m.as_dict() for m in actors_inside]),
            hedges=find_hedges(body),
            attribution=attribution,
            events=events,
        )
        is_candidate = bool(
            candidate.dates or candidate.quantities or candidate.places or candidate.actors
            or candidate.events
        )
        # A quotation spread over several sentences: its last one names the speaker.
        if in_quote:
            quote_members.append(candidate)
            if quote_state < 0:
                for member in quote_members:
                    member.attribution = member.attribution or attribution
                quote_members, in_quote = [], False
        elif quote_state > 0:
            in_quote, quote_members = True, [candidate]
        if is_candidate:
            candidates.append(candidate)
    return candidates


def _unique(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Matches with repeated ids kept once (the first)."""
    seen: set[Any] = set()
    out = []
    for match in matches:
        if match["id"] in seen:
            continue
        seen.add(match["id"])
        out.append(match)
    return out


# ----------------------------------------------------------------------------- scoring

@dataclass
class DocumentScore:
    """How the proposals for one document compare with its gold list."""

    name: str
    proposals: int
    correct_proposals: int
    gold: int
    found: int
    fields: dict[str, tuple[int, int]]  # field -> (right, scored)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of proposals that cover a gold item."""
        return self.correct_proposals / self.proposals if self.proposals else 1.0

    @property
    def recall(self) -> float:
        """Share of gold items covered by a proposal."""
        return self.found / self.gold if self.gold else 1.0


def _quantity_matches(expected: dict[str, Any], proposed: dict[str, Any]) -> bool:
    return all(proposed.get(key) == value for key, value in expected.items())


def field_right(name: str, expected: Any, proposal: dict[str, Any]) -> bool:
    """Whether one field of a proposal is what the gold item expects.

    Dates, places, actors and hedges must be the same sets; every expected quantity must be
    met (on the keys the gold gives) and there must be no more quantities than expected.
    """
    if name == "dates":
        return sorted(expected) == sorted(
            d["edtf"] if isinstance(d, dict) else d for d in proposal.get("dates", [])
        )
    if name in ("places", "actors"):
        return sorted(map(str, expected)) == sorted(
            str(m["id"]) if isinstance(m, dict) else str(m) for m in proposal.get(name, [])
        )
    if name == "hedges":
        return sorted(h.lower() for h in expected) == sorted(
            h.lower() for h in proposal.get("hedges", [])
        )
    if name == "quantities":
        proposed = list(proposal.get("quantities", []))
        if len(proposed) != len(expected):
            return False
        return all(any(_quantity_matches(e, p) for p in proposed) for e in expected)
    if name == "attribution":
        return str(expected).lower() in str(proposal.get("attribution", "")).lower()
    raise ValueError(f"unknown field {name!r}")


SCORED_FIELDS = ("dates", "quantities", "places", "actors", "hedges", "attribution")


def score(
    name: str, text: str, proposals: Sequence[dict[str, Any]], gold: Sequence[dict[str, Any]]
) -> DocumentScore:
    """Match proposals to gold items and count.

    A gold item is found when a proposal's range covers its ``contains`` snippet (the snippet
    must occur in ``text``); a proposal is correct when it covers at least one gold item. Each
    field a gold item states (dates, quantities, places, actors, hedges, attribution) is then
    checked on the proposal that covers it.
    """
    fields: dict[str, list[int]] = {f: [0, 0] for f in SCORED_FIELDS}
    correct: set[int] = set()
    found = 0
    missed: list[str] = []
    for item in gold:
        snippet = item["contains"]
        at = text.find(snippet)
        if at < 0:
            raise ValueError(f"{name}: gold snippet not in the text: {snippet!r}")
        end = at + len(snippet)
        covering = [
            (k, p) for k, p in enumerate(proposals) if p["start"] <= at and end <= p["end"]
        ]
        if not covering:
            missed.append(snippet)
            continue
        found += 1
        index, proposal = min(covering, key=lambda kp: kp[1]["end"] - kp[1]["start"])
        correct.add(index)
        for field_name in SCORED_FIELDS:
            if field_name in item:
                fields[field_name][1] += 1
                fields[field_name][0] += field_right(field_name, item[field_name], proposal)
    wrong = [p["text"][:70] for k, p in enumerate(proposals) if k not in correct]
    return DocumentScore(
        name=name, proposals=len(proposals), correct_proposals=len(correct), gold=len(gold),
        found=found, fields={f: (v[0], v[1]) for f, v in fields.items()}, missed=missed,
        wrong=wrong,
    )


def indexes_from_names(data: dict[str, Any]) -> tuple[NameIndex, NameIndex]:
    """Place and actor indexes from ``{"places": {id: [names]}, "actors": {id: [names]}}``."""
    places = NameIndex((ident, name) for ident, names in data.get("places", {}).items()
                       for name in names)
    actors = NameIndex((ident, name) for ident, names in data.get("actors", {}).items()
                       for name in names)
    return places, actors


def total(scores: Sequence[DocumentScore]) -> DocumentScore:
    """All documents' scores added up (micro-averaged precision and recall)."""
    fields = {f: (sum(s.fields[f][0] for s in scores), sum(s.fields[f][1] for s in scores))
              for f in SCORED_FIELDS}
    return DocumentScore(
        name="overall", proposals=sum(s.proposals for s in scores),
        correct_proposals=sum(s.correct_proposals for s in scores),
        gold=sum(s.gold for s in scores), found=sum(s.found for s in scores), fields=fields,
        missed=[m for s in scores for m in s.missed], wrong=[w for s in scores for w in s.wrong],
    )
