"""Claim extraction against the gold set: precision, recall, field accuracy and speed.

Run: ``.venv/bin/python benchmarks/bench_extract.py`` (``--verbose`` lists misses and false
proposals). The gold files are ``tests/data/extraction/*.gold.json``; the Cardin letter is read
from ``../shared/seed`` and skipped, with a note, when that folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from vestige.core.extract import (
    SCORED_FIELDS,
    DocumentScore,
    extract_candidates,
    indexes_from_names,
    score,
    total,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "extraction"
SEED = ROOT.parent / "shared" / "seed"


def gold_documents(data: Path = DATA, seed: Path = SEED) -> list[tuple[str, str, list[Any]]]:
    """(name, text, gold candidates) for every gold file whose document is present."""
    documents = []
    for path in sorted(data.glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        folder = seed if gold.get("location") == "shared-seed" else data
        source = folder / gold["document"]
        if not source.exists():
            print(f"note: {source} is absent ({folder} missing?); {path.name} skipped",
                  file=sys.stderr)
            continue
        documents.append((gold["document"], source.read_text(encoding="utf-8"),
                          gold["candidates"]))
    return documents


def run(repeat: int = 20) -> tuple[list[DocumentScore], dict[str, float]]:
    """Score every document; time the extraction (best of ``repeat`` runs)."""
    places, actors = indexes_from_names(
        json.loads((DATA / "names.json").read_text(encoding="utf-8"))
    )
    scores = []
    characters = 0
    best_total = 0.0
    for name, text, gold in gold_documents():
        best = float("inf")
        proposals: list[Any] = []
        for _ in range(repeat):
            started = time.perf_counter()
            proposals = extract_candidates(text, places, actors)
            best = min(best, time.perf_counter() - started)
        best_total += best
        characters += len(text)
        scores.append(score(name, text, [p.as_dict() for p in proposals], gold))
    timing = {"seconds": best_total, "characters": characters,
              "chars_per_second": characters / best_total if best_total else 0.0}
    return scores, timing


def _row(s: DocumentScore) -> str:
    cells = [f"{s.name:<38}", f"{s.proposals:>5}", f"{s.correct_proposals:>5}",
             f"{s.gold:>4}", f"{s.found:>5}", f"{s.precision:>5.2f}", f"{s.recall:>5.2f}"]
    for field_name in SCORED_FIELDS:
        right, scored = s.fields[field_name]
        cells.append(f"{right:>3}/{scored:<3}" if scored else "   –   ")
    return " ".join(cells)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list misses and wrong proposals")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    scores, timing = run()
    overall = total(scores)
    if args.json:
        print(json.dumps({
            "documents": [{"name": s.name, "proposals": s.proposals, "precision": s.precision,
                           "recall": s.recall, "fields": s.fields} for s in [*scores, overall]],
            "timing": timing,
        }, indent=2, ensure_ascii=False))
        return
    header = (f"{'document':<38} {'props':>5} {'right':>5} {'gold':>4} {'found':>5} "
              f"{'prec':>5} {'rec':>5} " + " ".join(f"{f[:7]:<7}" for f in SCORED_FIELDS))
    print(header)
    print("-" * len(header))
    for s in scores:
        print(_row(s))
    print("-" * len(header))
    print(_row(overall))
    print(f"\nextraction speed: {timing['characters']:,} characters in "
          f"{timing['seconds'] * 1000:.1f} ms ({timing['chars_per_second']:,.0f} characters/s, "
          "best of 20 runs, names indexes built once)")
    if args.verbose:
        for s in scores:
            for missed in s.missed:
                print(f"MISSED  {s.name}: {missed}")
            for wrong in s.wrong:
                print(f"EXTRA   {s.name}: {wrong}")


if __name__ == "__main__":
    main()
