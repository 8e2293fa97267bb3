"""Template helpers of the case-graph pages: vocabulary labels and counts."""

from __future__ import annotations

from typing import Any

from django import template

from ...cases import vocabularies

register = template.Library()


@register.filter
def vocab(value: Any, name: str) -> str:
    """The label of a vocabulary code (``"killed"|vocab:"count_categories"`` → ``Killed``)."""
    if value in (None, ""):
        return ""
    try:
        return vocabularies.label(name, str(value))
    except vocabularies.VocabularyError:
        return str(value)


@register.filter
def vocab_list(values: Any, name: str) -> list[str]:
    """The labels of a list of codes."""
    if not isinstance(values, list | tuple):
        return []
    return [vocab(v, name) for v in values if v not in (None, "")]


@register.filter
def count_text(count: Any) -> str:
    """A low / best / high count as people read it: ``~100,000 (80,000–120,000)``."""
    def number(value: Any) -> str:
        return f"{value:,}" if isinstance(value, int) else "?"

    low, best, high = count.low, count.best, count.high
    prefix = "~" if count.approximate else ""
    if best is not None:
        text = f"{prefix}{number(best)}"
        if (low is not None or high is not None) and (low != best or high != best):
            text += f" ({number(low)}–{number(high)})"
        return text
    if low is not None or high is not None:
        return f"{prefix}{number(low)}–{number(high)}"
    return "unknown"
