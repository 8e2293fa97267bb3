"""What every near-duplicate search returns: who matched, how closely, and by which algorithm.

A suggestion shown to a reviewer must say how it was made, so that a score can be judged and
re-computed later (the nomenklatura habit: the algorithm's name and version go with every score).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Match:
    """One near-duplicate candidate.

    ``score`` is a similarity in [0, 1] (1 = identical fingerprints). ``distance`` is the raw
    Hamming distance for bit hashes (``None`` for text). ``details`` holds algorithm-specific
    extras, e.g. the dihedral transform that matched or the per-direction vPDQ fractions.
    """

    key: str
    score: float
    algorithm: str
    version: str
    distance: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


class FormatError(ValueError):
    """An index file that is not one of ours, or was written by another algorithm version."""
