"""Screening names against sanctions lists across scripts and romanisations (no Django).

:func:`~.normalize.parse_name` turns a name into tokens with roles and folded keys,
:func:`~.scoring.score_names` aligns two names and explains the score,
:func:`~.scoring.apply_qualifiers` adjusts it by date of birth, nationality and gender, and
:class:`~.index.ScreeningIndex` finds candidates among many listed names quickly.
"""

from .index import ListedRecord, Match, ScreeningIndex
from .normalize import ParsedName, parse_name
from .scoring import (
    ALGORITHM,
    DEFAULT_THRESHOLD,
    NO_QUALIFIERS,
    VERSION,
    NameScore,
    Qualifiers,
    apply_qualifiers,
    score_names,
)

__all__ = [
    "ALGORITHM",
    "DEFAULT_THRESHOLD",
    "NO_QUALIFIERS",
    "VERSION",
    "ListedRecord",
    "Match",
    "NameScore",
    "ParsedName",
    "Qualifiers",
    "ScreeningIndex",
    "apply_qualifiers",
    "parse_name",
    "score_names",
]
