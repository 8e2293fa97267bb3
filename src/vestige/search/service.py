"""Searching the index: scope by membership, match folded keys, count facets, make snippets.

The same function serves the web page, the API and the command line. Each query word is folded
with :func:`vestige.core.names.word_keys` and becomes an OR of its keys; the words are ANDed.
SQLite answers through FTS5 (ranked by bm25), PostgreSQL through a tsvector (ranked by
ts_rank). When nothing matches, a fuzzy pass follows: prefixes on both, and pg_trgm word
similarity on titles on PostgreSQL.

Scope: a user sees entries of the cases they are a member of, and shared gazetteer places.
An item's extracted text is searched only in cases where their role may download; elsewhere only
its title and description. The command line (``operator=True``) sees every case.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..cases.models import Case, Membership, Place
from ..cases.roles import Permission, allows
from ..core.errors import NotFound, UserError
from ..core.names import tokens, word_keys
from .index import scope_token
from .models import Part, RecordType

MAX_WORDS = 12
MAX_LIMIT = 200
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

TYPE_LABELS = {t.value: str(t.label) for t in RecordType}


@dataclass
class SearchFilters:
    """What narrows a search beyond the words (all optional)."""

    cases: list[str] = field(default_factory=list)  # slugs
    types: list[str] = field(default_factory=list)  # record types
    item_kinds: list[str] = field(default_factory=list)
    incident_types: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    place: int | None = None


@dataclass
class Hit:
    """One record found."""

    record_type: str
    record_id: str
    case_slug: str | None
    case_title: str | None
    title: str
    title_html: SafeString
    snippet_html: SafeString
    snippet: str
    matched: list[str]
    item_kind: str
    incident_type: str
    date_lower: date | None
    date_upper: date | None
    item_ref: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (the snippet's HTML is escaped, with <mark> around matches)."""
        return {
            "type": self.record_type,
            "id": self.record_id,
            "case": self.case_slug,
            "title": self.title,
            "snippet": self.snippet,
            "snippet_html": str(self.snippet_html),
            "matched": self.matched,
            "item_kind": self.item_kind or None,
            "incident_type": self.incident_type or None,
            "date_lower": self.date_lower.isoformat() if self.date_lower else None,
            "date_upper": self.date_upper.isoformat() if self.date_upper else None,
            "item": self.item_ref or None,
        }


@dataclass
class FacetValue:
    """One value of a facet with its count."""

    value: str
    label: str
    count: int


@dataclass
class SearchResults:
    """A page of hits, the total and the facet counts over every match."""

    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    fuzzy: bool = False
    limit: int = 20
    offset: int = 0
    approximate: bool = False  # more than WINDOW matches: counts over the most recent WINDOW

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        return {
            "query": self.query,
            "total": self.total,
            "fuzzy": self.fuzzy,
            "approximate": self.approximate,
            "limit": self.limit,
            "offset": self.offset,
            "hits": [h.as_dict() for h in self.hits],
            "facets": {
                name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
                for name, values in self.facets.items()
            },
        }


def query_keys(query: str) -> list[frozenset[str]]:
    """The folded keys of each query word (at most ``MAX_WORDS`` words)."""
    groups = []
    for word in tokens(query)[:MAX_WORDS]:
        keys = word_keys(word)
        if keys:
            groups.append(keys)
    return groups


@dataclass
class _Scope:
    full: list[int]  # cases whose items' text may be searched
    meta: list[int]  # cases where items are searched by description only
    cases: dict[int, Case]
    shared: bool  # include shared gazetteer places
    user: Any = None
    operator: bool = False

    def tokens(self) -> list[str]:
        """The scope words (see index.scope_token) of every entry this scope may see."""
        words = [scope_token(c, p) for c in self.full for p in (Part.ALL, Part.TEXT)]
        words += [scope_token(c, p) for c in self.meta for p in (Part.ALL, Part.META)]
        if self.shared:
            words.append(scope_token(None, Part.ALL))
        return words


def _scope(user: Any, operator: bool, slugs: list[str]) -> _Scope:
    if operator:
        cases = Case.objects.all()
        if slugs:
            cases = cases.filter(slug__in=slugs)
        found = {c.pk: c for c in cases}
        if slugs and len({c.slug for c in found.values()}) < len(set(slugs)):
            missing = sorted(set(slugs) - {c.slug for c in found.values()})
            raise NotFound(f"no case {missing[0]!r}")
        return _Scope(sorted(found), [], found, not slugs, operator=True)
    if user is None or not user.is_authenticated:
        return _Scope([], [], {}, False)
    memberships = Membership.objects.filter(user=user).select_related("case")
    if slugs:
        memberships = memberships.filter(case__slug__in=slugs)
    found = {m.case_id: m.case for m in memberships}
    if slugs and len({c.slug for c in found.values()}) < len(set(slugs)):
        missing = sorted(set(slugs) - {c.slug for c in found.values()})
        raise NotFound(f"no case {missing[0]!r}")
    full = sorted(m.case_id for m in memberships if allows(m.role, Permission.DOWNLOAD))
    meta = sorted(m.case_id for m in memberships if m.case_id not in full
                  and allows(m.role, Permission.VIEW))
    return _Scope(full, meta, found, not slugs, user=user)


def _in(column: str, values: list[Any], params: list[Any]) -> str:
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


def _where(scope: _Scope, filters: SearchFilters) -> tuple[str, list[Any]]:
    """The SQL conditions on entry ``e`` for scope and filters (no full-text part)."""
    params: list[Any] = []
    ors = []
    if scope.full:
        ors.append(f"({_in('e.case_id', scope.full, params)} AND e.part IN ('all', 'text'))")
    if scope.meta:
        ors.append(f"({_in('e.case_id', scope.meta, params)} AND e.part IN ('all', 'meta'))")
    if scope.shared:
        ors.append("(e.case_id IS NULL AND e.part = 'all')")
    if not ors:
        return "1 = 0", []
    conditions = [f"({' OR '.join(ors)})"]
    if filters.types:
        conditions.append(_in("e.record_type", filters.types, params))
    if filters.item_kinds:
        conditions.append(_in("e.item_kind", filters.item_kinds, params))
    if filters.incident_types:
        conditions.append(_in("e.incident_type", filters.incident_types, params))
    if filters.date_from:
        conditions.append("e.date_upper >= %s")
        params.append(filters.date_from)
    if filters.date_to:
        conditions.append("e.date_lower <= %s")
        params.append(filters.date_to)
    if filters.place is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM search_searchplace sp "
            "WHERE sp.entry_id = e.id AND sp.place_id = %s)"
        )
        params.append(filters.place)
    return " AND ".join(conditions), params


@dataclass
class _Source:
    """The most recent WINDOW + 1 full-text matches as ``w`` (rid, score s), joined to ``e``."""

    from_sql: str
    params: list[Any]


# Ranking and facets are computed over the most recent WINDOW full-text matches: exact below
# that, and flagged ``approximate`` above it (the total then reads "more than WINDOW").
WINDOW = 5000


def _sqlite_match(groups: list[frozenset[str]], fuzzy: bool, scope_words: list[str]) -> str:
    star = "*" if fuzzy else ""
    parts = []
    for keys in groups:
        alternatives = [f'"{k}"{star}' for k in sorted(keys) if not fuzzy or len(k) >= 3]
        if not alternatives:
            alternatives = [f'"{k}"' for k in sorted(keys)]
        parts.append("(" + " OR ".join(alternatives) + ")")
    if scope_words:
        parts.append("(" + " OR ".join(f'"{w}"' for w in scope_words) + ")")
    return " AND ".join(parts)


def _sqlite_source(groups: list[frozenset[str]], fuzzy: bool, scope_words: list[str]) -> _Source:
    return _Source(
        "(SELECT rowid AS rid, bm25(search_fts) AS s FROM search_fts "  # noqa: S608
        f"WHERE search_fts MATCH %s ORDER BY rowid DESC LIMIT {WINDOW + 1}) w "
        "JOIN search_searchentry e ON e.id = w.rid",
        [_sqlite_match(groups, fuzzy, scope_words)],
    )


def _postgres_tsquery(
    groups: list[frozenset[str]], fuzzy: bool, scope_words: list[str]
) -> tuple[str, list[Any]]:
    params: list[Any] = []
    ands = []
    for keys in groups:
        ors = []
        for key in sorted(keys):
            if fuzzy and len(key) >= 3:
                ors.append("to_tsquery('simple', %s)")
                params.append(f"{key}:*")
            else:
                ors.append("plainto_tsquery('simple', %s)")
                params.append(key)
        ands.append("(" + " || ".join(ors) + ")")
    if scope_words:
        ands.append(
            "(" + " || ".join(["plainto_tsquery('simple', %s)"] * len(scope_words)) + ")"
        )
        params.extend(scope_words)
    return " && ".join(ands), params


def _postgres_match(
    groups: list[frozenset[str]], fuzzy: bool, scope_words: list[str]
) -> tuple[str, list[Any], str, list[Any]]:
    """(match condition, its parameters, tsquery, its parameters) on ``e``."""
    tsquery, params = _postgres_tsquery(groups, fuzzy, scope_words)
    match = f"e.tsv @@ ({tsquery})"
    match_params = list(params)
    if fuzzy:
        similar = []
        for keys in groups:
            similar.append("(" + " OR ".join(["%s <%% e.title_folded"] * len(keys)) + ")")
            match_params.extend(sorted(keys))
        match = f"({match} OR ({' AND '.join(similar)}))"
    return match, match_params, tsquery, params


def _postgres_source(
    groups: list[frozenset[str]], fuzzy: bool, scope_words: list[str]
) -> _Source:
    match, match_params, tsquery, params = _postgres_match(groups, fuzzy, scope_words)
    return _Source(
        f"(SELECT e.id AS rid, -ts_rank(e.tsv, ({tsquery})) AS s "  # noqa: S608
        f"FROM search_searchentry e WHERE {match} ORDER BY e.id DESC LIMIT {WINDOW + 1}) w "
        "JOIN search_searchentry e ON e.id = w.rid",
        params + match_params,
    )


def _source(groups: list[frozenset[str]], fuzzy: bool, scope_words: list[str]) -> _Source:
    if connection.vendor == "postgresql":
        return _postgres_source(groups, fuzzy, scope_words)
    if connection.vendor == "sqlite":
        return _sqlite_source(groups, fuzzy, scope_words)
    raise UserError(f"search is not available on {connection.vendor}")


def _year_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYY')"
    return f"substr({column}, 1, 4)"


def search(
    query: str,
    *,
    user: Any = None,
    operator: bool = False,
    filters: SearchFilters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Search the index for ``query`` as ``user`` (or as the operator: every case).

    Raises NotFound for a case filter naming a case the user may not see (as for one that does
    not exist), UserError for bad input.
    """
    filters = filters or SearchFilters()
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    for kind in filters.types:
        if kind not in TYPE_LABELS:
            raise UserError(f"unknown type {kind!r} (one of: {', '.join(TYPE_LABELS)})")
    groups = query_keys(query)
    scope = _scope(user, operator, filters.cases)
    empty = SearchResults(query, 0, [], {}, limit=limit, offset=offset)
    if not groups or (not scope.full and not scope.meta and not scope.shared):
        return empty
    results = _run(query, groups, scope, filters, limit, offset, fuzzy=False)
    if results.total == 0:
        results = _run(query, groups, scope, filters, limit, offset, fuzzy=True)
        results.fuzzy = results.total > 0
    return results


def _protected_items(scope: _Scope) -> set[str]:
    """Ids of items (testimony linked to protected people) this user may not see: neither the
    items nor claims drawn from them are returned. The operator (command line) sees all."""
    if scope.operator:
        return set()
    from ..protection.access import hidden_item_ids

    return {str(pk) for pk in hidden_item_ids(scope.user, scope.cases.values())}


def _run(
    query: str,
    groups: list[frozenset[str]],
    scope: _Scope,
    filters: SearchFilters,
    limit: int,
    offset: int,
    fuzzy: bool,
) -> SearchResults:
    found = _source(groups, fuzzy, scope.tokens())
    where, where_params = _where(scope, filters)
    year = _year_sql("e.date_lower")
    # One pass over the window: facets and ranking are done here, the page's rows fetched
    # after. Every value is a parameter; the SQL pieces are this module's constants.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.rid, w.s, e.record_type, e.case_id, e.item_kind, e.incident_type, "  # noqa: S608
            f"{year}, CASE WHEN {where} THEN 1 ELSE 0 END, e.record_id, e.item_ref "
            f"FROM {found.from_sql} ORDER BY w.rid DESC",
            where_params + found.params,
        )
        window = cursor.fetchall()
    approximate = len(window) > WINDOW
    hidden = _protected_items(scope)
    visible = [
        row for row in window[:WINDOW]
        if row[7] and not (hidden and (str(row[8]) in hidden or str(row[9] or "") in hidden))
    ]
    if not visible:
        return SearchResults(query, 0, [], {}, limit=limit, offset=offset)
    ranked = sorted(visible, key=lambda row: (float(row[1] or 0), row[0]))
    page_ids = [row[0] for row in ranked[offset:offset + limit]]
    all_ids = [row[0] for row in visible]
    with connection.cursor() as cursor:
        rows: dict[int, tuple[Any, ...]] = {}
        if page_ids:
            cursor.execute(
                "SELECT e.id, e.record_type, e.record_id, e.case_id, e.title, e.text, "  # noqa: S608
                "e.item_kind, e.incident_type, e.date_lower, e.date_upper, e.item_ref "
                f"FROM search_searchentry e WHERE e.id IN ({', '.join(['%s'] * len(page_ids))})",
                page_ids,
            )
            rows = {row[0]: row[1:] for row in cursor.fetchall()}
        ids_param: Any
        if connection.vendor == "postgresql":
            ids_sql, ids_param = "= ANY(%s)", all_ids
        else:
            ids_sql, ids_param = "IN (SELECT value FROM json_each(%s))", json.dumps(all_ids)
        cursor.execute(
            "SELECT sp.place_id, COUNT(*) FROM search_searchplace sp "  # noqa: S608
            f"WHERE sp.entry_id {ids_sql} GROUP BY sp.place_id "
            "ORDER BY COUNT(*) DESC, sp.place_id LIMIT 12",
            [ids_param],
        )
        place_rows = cursor.fetchall()
    keys = frozenset().union(*groups)
    scores = {row[0]: row[1] for row in visible}
    hits = [_hit((*rows[pk], scores[pk]), scope, keys, fuzzy) for pk in page_ids if pk in rows]
    counts: Counter[tuple[Any, ...]] = Counter(tuple(row[2:7]) for row in visible)
    facet_rows = [(*key, count) for key, count in counts.items()]
    facets = _facets(facet_rows, place_rows, scope)
    return SearchResults(query, len(visible), hits, facets, limit=limit, offset=offset,
                         approximate=approximate)


def _to_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _hit(row: tuple[Any, ...], scope: _Scope, keys: frozenset[str], fuzzy: bool) -> Hit:
    record_type, record_id, case_id, title, text, item_kind, incident_type = row[:7]
    lower, upper, item_ref, score = row[7:11]
    case = scope.cases.get(case_id) if case_id is not None else None
    html, plain, matched = snippet(text or "", keys, prefix=fuzzy)
    title_matches = matching_words(title, keys, prefix=fuzzy)
    return Hit(
        record_type=record_type,
        record_id=str(record_id),
        case_slug=case.slug if case else None,
        case_title=case.title if case else None,
        title=title,
        title_html=highlight(title, keys, prefix=fuzzy),
        snippet_html=html,
        snippet=plain,
        matched=sorted(set(matched) | set(title_matches)),
        item_kind=item_kind or "",
        incident_type=incident_type or "",
        date_lower=_to_date(lower),
        date_upper=_to_date(upper),
        item_ref=item_ref or "",
        score=float(score or 0),
    )


def _facets(
    rows: list[tuple[Any, ...]], place_rows: list[tuple[Any, ...]], scope: _Scope
) -> dict[str, list[FacetValue]]:
    types: Counter[str] = Counter()
    cases: Counter[Any] = Counter()
    item_kinds: Counter[str] = Counter()
    incident_types: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for record_type, case_id, item_kind, incident_type, year, count in rows:
        types[record_type] += count
        cases[case_id] += count
        if item_kind:
            item_kinds[item_kind] += count
        if incident_type:
            incident_types[incident_type] += count
        if year:
            years[str(year)] += count
    from ..evidence.models import ItemKind

    kind_labels = {k.value: str(k.label) for k in ItemKind}
    case_values = []
    for case_id, count in cases.most_common():
        case = scope.cases.get(case_id) if case_id is not None else None
        if case is not None:
            case_values.append(FacetValue(case.slug, case.title, count))
        elif case_id is None:
            case_values.append(FacetValue("", "Shared gazetteer", count))
    names = {p.pk: p.display_name for p in Place.objects.filter(pk__in=[r[0] for r in place_rows])}
    return {
        "type": [FacetValue(t, TYPE_LABELS.get(t, t), n) for t, n in types.most_common()],
        "case": case_values,
        "item_kind": [FacetValue(k, kind_labels.get(k, k), n) for k, n in item_kinds.most_common()],
        "incident_type": [FacetValue(k, k, n) for k, n in incident_types.most_common()],
        "year": [FacetValue(y, y, n) for y, n in sorted(years.items())],
        "place": [
            FacetValue(str(pid), names[pid], n) for pid, n in place_rows if pid in names
        ],
    }


def _word_matches(word: str, keys: frozenset[str], prefix: bool) -> bool:
    folded = word_keys(word)
    if folded & keys:
        return True
    return prefix and any(f.startswith(k) for f in folded for k in keys if len(k) >= 3)


def matching_words(text: str, keys: frozenset[str], prefix: bool = False) -> list[str]:
    """The words of ``text`` (as written) that fold to one of ``keys``."""
    return [w for w in tokens(text) if _word_matches(w, keys, prefix)]


def highlight(text: str, keys: frozenset[str], *, prefix: bool = False) -> SafeString:
    """The whole text, HTML-escaped, with the words that fold to ``keys`` in <mark>."""
    out: list[str] = []
    cursor = 0
    for m in _WORD.finditer(text):
        if _word_matches(m.group(), keys, prefix):
            out.append(escape(text[cursor:m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            cursor = m.end()
    out.append(escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece escaped)


def snippet(
    text: str, keys: frozenset[str], *, width: int = 28, prefix: bool = False
) -> tuple[SafeString, str, list[str]]:
    """A window of the ORIGINAL text around the matches: (escaped HTML with <mark>, plain text,
    the matched words as written)."""
    words = list(_WORD.finditer(text))
    hits = [i for i, m in enumerate(words) if _word_matches(m.group(), keys, prefix)]
    if not words:
        return mark_safe(""), "", []
    if hits:
        # The window of ``width`` words holding the most matches, starting a little before.
        best, best_count = hits[0], 0
        for start in hits:
            count = sum(1 for h in hits if start <= h < start + width)
            if count > best_count:
                best, best_count = start, count
        first = max(0, best - 4)
    else:
        first = 0
    last = min(len(words), first + width) - 1
    begin = words[first].start() if first > 0 else 0
    end = words[last].end() if last < len(words) - 1 else len(text)
    hit_set = set(hits)
    html: list[str] = ["…" if begin > 0 else ""]
    plain: list[str] = ["…" if begin > 0 else ""]
    cursor = begin
    for index in range(first, last + 1):
        m = words[index]
        html.append(escape(text[cursor:m.start()]))
        plain.append(text[cursor:m.start()])
        if index in hit_set:
            html.append(f"<mark>{escape(m.group())}</mark>")
        else:
            html.append(escape(m.group()))
        plain.append(m.group())
        cursor = m.end()
    html.append(escape(text[cursor:end]))
    plain.append(text[cursor:end])
    if end < len(text):
        html.append("…")
        plain.append("…")
    joined_html = " ".join("".join(html).split())
    joined_plain = " ".join("".join(plain).split())
    matched = [words[i].group() for i in hits if first <= i <= last]
    return mark_safe(joined_html), joined_plain, matched  # noqa: S308 (every piece escaped)
