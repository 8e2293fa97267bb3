"""Counting independent sources: ten copies of one video are one source, not ten.

The items behind a set of claims are joined into source groups when they are exact copies
(same SHA-256), were judged the same near-duplicate, were linked by hand as a copy or a
translation, come from the same uploader, channel or publisher (the web site, or the account on
a platform), or are parts of one capture (an item and its child items). Joining is transitive:
an item judged the same as a copy of another joins both. Every group says why it was merged, so
a reader can check the count rather than trust it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..cases.graph import Claim
from ..core.names import fold_text
from ..evidence.models import Item
from .models import ItemRelation, Relation

# Hosts where many unrelated people publish: the account (first path segment) is the publisher.
PLATFORM_HOSTS = frozenset(
    {
        "twitter.com",
        "x.com",
        "t.me",
        "telegram.me",
        "youtube.com",
        "youtu.be",
        "facebook.com",
        "instagram.com",
        "tiktok.com",
        "vk.com",
        "ok.ru",
        "reddit.com",
        "medium.com",
        "github.com",
        "web.archive.org",
        "archive.org",
        "archive.ph",
        "archive.today",
        "rumble.com",
        "vimeo.com",
        "threads.net",
        "bsky.app",
        "linkedin.com",
        "dailymotion.com",
        "substack.com",
    }
)
# Path segments before the account name on some platforms (t.me/s/name, youtube.com/c/name).
_ACCOUNT_PREFIXES = frozenset({"s", "c", "channel", "user", "u", "r", "profile"})
# Archives republish others' pages: the archive is never the publisher.
_NO_PUBLISHER = frozenset(
    {"web.archive.org", "archive.org", "archive.ph", "archive.today", "youtu.be"}
)


@dataclass
class SourceGroup:
    """Items that count as one source, the claims drawn from them, and why they were joined."""

    items: list[Item]
    claims: list[Claim] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Who the source is, as far as the items say: uploader, channel, host, or a title."""
        for item in self.items:
            for value in (item.source_uploader, item.source_channel):
                if value.strip():
                    return value.strip()
        for item in self.items:
            publisher = url_publisher(item.source_url)
            if publisher:
                return publisher
        return self.items[0].title if self.items else ""


def _norm(value: str) -> str:
    return fold_text(value.strip().lstrip("@")) or value.strip().casefold()


def url_publisher(url: str) -> str:
    """The publisher a URL names: the host, or host/account on platforms; "" if it names none."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if not host or host in _NO_PUBLISHER:
        return ""
    if host not in PLATFORM_HOSTS:
        return host
    segments = [s for s in parts.path.split("/") if s]
    while segments and segments[0].lower() in _ACCOUNT_PREFIXES:
        segments = segments[1:]
    if not segments or segments[0].lower() in ("watch", "status", "posts", "video"):
        return ""
    return f"{host}/{segments[0].lower().lstrip('@')}"


def publisher_keys(item: Item) -> list[tuple[str, str]]:
    """(key, reason) for each publisher fact of ``item``; equal keys mean one source."""
    keys = []
    if item.source_uploader.strip():
        keys.append(
            (
                f"uploader:{_norm(item.source_uploader)}",
                f"same uploader “{item.source_uploader.strip()}”",
            )
        )
    if item.source_channel.strip():
        keys.append(
            (
                f"channel:{_norm(item.source_channel)}",
                f"same channel “{item.source_channel.strip()}”",
            )
        )
    publisher = url_publisher(item.source_url)
    if publisher:
        keys.append((f"publisher:{publisher}", f"same publisher {publisher}"))
    return keys


class _Groups:
    """Union-find over item ids, remembering the reason of every join."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.edges: list[tuple[str, str, str]] = []

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: str, b: str, reason: str) -> None:
        self.edges.append((a, b, reason))
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _relation_reason(link: ItemRelation) -> str:
    when = link.created_at.strftime("%Y-%m-%d")
    if link.relation == Relation.NEAR_DUPLICATE:
        return f"judged the same by {link.created_by_label} on {when}"
    return f"linked as {link.get_relation_display().lower()} by {link.created_by_label} on {when}"


def _closure(case_id: Any, seeds: set[str], relations: list[ItemRelation]) -> set[str]:
    """The seed items and every item reachable from them through links."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for link in relations:
        a, b = str(link.item_a_id), str(link.item_b_id)
        neighbours[a].add(b)
        neighbours[b].add(a)
    reached, todo = set(seeds), list(seeds)
    while todo:
        for other in neighbours[todo.pop()] - reached:
            reached.add(other)
            todo.append(other)
    return reached


def _grouped(case_id: Any, seeds: set[str], wide: bool = False) -> tuple[_Groups, dict[str, Item]]:
    """Join ``seeds`` (and the items linked to them) by every rule.

    With ``wide``, the case's other items that share bytes, uploader, channel, parent or links
    with a seed are brought in too (an item page shows its whole group).
    """
    relations = list(ItemRelation.objects.filter(case_id=case_id))
    ids = _closure(case_id, seeds, relations)
    items = {str(i.pk): i for i in Item.objects.filter(pk__in=ids)}
    if wide:
        items.update({str(i.pk): i for i in _related_items(case_id, list(items.values()))})
        ids = _closure(case_id, set(items), relations)
        items.update({str(i.pk): i for i in Item.objects.filter(pk__in=ids - set(items))})
    groups = _Groups()
    for key in items:
        groups.find(key)
    by_fact: dict[str, list[str]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for key, item in items.items():
        by_fact[f"sha:{item.sha256}"].append(key)
        reasons[f"sha:{item.sha256}"] = "exact copies (same SHA-256)"
        for fact, reason in publisher_keys(item):
            by_fact[fact].append(key)
            reasons[fact] = reason
        if item.parent_id is not None and str(item.parent_id) in items:
            groups.join(key, str(item.parent_id), "parts of one capture or container")
    for fact, members in by_fact.items():
        for other in members[1:]:
            groups.join(members[0], other, reasons[fact])
    for link in relations:
        a, b = str(link.item_a_id), str(link.item_b_id)
        if a in items and b in items:
            groups.join(a, b, _relation_reason(link))
    return groups, items


def _related_items(case_id: Any, items: list[Item]) -> Iterable[Item]:
    """The case's items sharing bytes, uploader, channel or parent with any of ``items``."""
    from django.db.models import Q

    query = Q(sha256__in={i.sha256 for i in items})
    uploaders = {i.source_uploader for i in items if i.source_uploader.strip()}
    channels = {i.source_channel for i in items if i.source_channel.strip()}
    parents = {i.parent_id for i in items if i.parent_id} | {i.pk for i in items}
    if uploaders:
        query |= Q(source_uploader__in=uploaders)
    if channels:
        query |= Q(source_channel__in=channels)
    query |= Q(pk__in=parents) | Q(parent_id__in=parents)
    return Item.objects.filter(query, case_id=case_id)


def _reasons(groups: _Groups, members: set[str]) -> list[str]:
    seen: list[str] = []
    for a, _, reason in groups.edges:
        if a in members and reason not in seen:
            seen.append(reason)
    return seen


def independent_sources(claims: Iterable[Claim]) -> list[SourceGroup]:
    """The independent sources behind ``claims``: their items grouped by the rules above, each
    group with its claims and the reasons it was merged; largest group first."""
    claims = list(claims)
    if not claims:
        return []
    seeds = {str(c.item_id) for c in claims}
    groups, items = _grouped(claims[0].case_id, seeds)
    components: dict[str, set[str]] = defaultdict(set)
    for key in items:
        components[groups.find(key)].add(key)
    result: dict[str, SourceGroup] = {}
    for claim in claims:
        root = groups.find(str(claim.item_id))
        group = result.get(root)
        if group is None:
            members = components[root]
            shown = [items[k] for k in sorted(members & seeds)]
            group = result[root] = SourceGroup(shown, [], _reasons(groups, members))
        group.claims.append(claim)
    ordered = sorted(result.values(), key=lambda g: (-len(g.items), g.label.casefold()))
    return ordered


def source_group(item: Item) -> SourceGroup:
    """Every item of the case that counts as the same source as ``item`` (itself first)."""
    groups, items = _grouped(item.case_id, {str(item.pk)}, wide=True)
    root = groups.find(str(item.pk))
    members = {k for k in items if groups.find(k) == root}
    others = sorted(
        (items[k] for k in members if k != str(item.pk)), key=lambda i: (i.captured_at, str(i.pk))
    )
    return SourceGroup([item, *others], [], _reasons(groups, members))


def copies_judged_same(item: Item) -> list[Item]:
    """Items judged the same as ``item`` or linked to it as copies (not translations), with
    their exact copies: what the earliest-copy provenance finding compares besides same bytes."""
    relations = [
        r
        for r in ItemRelation.objects.filter(case_id=item.case_id)
        if r.relation in (Relation.NEAR_DUPLICATE, Relation.COPY)
    ]
    ids = _closure(item.case_id, {str(item.pk)}, relations) - {str(item.pk)}
    if not ids:
        return []
    linked = list(Item.objects.filter(pk__in=ids))
    same_bytes = Item.objects.filter(
        case_id=item.case_id, sha256__in={i.sha256 for i in linked}
    ).exclude(pk=item.pk)
    return list({i.pk: i for i in [*linked, *same_bytes]}.values())


def summary(groups: list[SourceGroup]) -> str:
    """ "N independent sources (M items)"."""
    n = len(groups)
    m = sum(len(g.items) for g in groups)
    return f"{n} independent source{'' if n == 1 else 's'} ({m} item{'' if m == 1 else 's'})"
