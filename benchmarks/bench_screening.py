"""Screening benchmark: accuracy on the labelled OFAC set and speed on a million names.

    .venv/bin/python benchmarks/bench_screening.py            # full run
    .venv/bin/python benchmarks/bench_screening.py --quick    # 100,000 names, 200 queries

Accuracy: every query of benchmarks/data/screening_labelled.jsonl is screened against the
2019 OFAC SDN list (sdn.csv + alt.csv). A query is decided by its best result: for a true
match it counts as a true positive when the best result reaches the threshold and is one of
the expected entities; any other result at or above the threshold is a false positive.
Precision, recall and F1 are reported at each matcher's default threshold and at its best
threshold on this set. Matchers:

* ours: vestige.core.screening (in-memory index, no database), default threshold;
* rapidfuzz token_sort_ratio on ASCII-folded names (normality.ascii_text, ICU transliteration),
  best list name per query by a full scan; no default threshold, 0.85 shown;
* nomenklatura's name-based and logic-v2 matchers (FollowTheMoney Person entities with the
  list's names, birth dates and nationalities), threshold 0.7 as yente uses. nomenklatura
  compares pairs and has no stand-alone index, so each query's candidates are the 30 best
  entities by rapidfuzz WRatio on ASCII-folded names.

Baselines run in benchmarks/.venv-screening (created with pip if missing; never in the
project's environment). Speed: gen_screening_data.py makes 1,000,000 listed names; ours builds
its index and answers 1,000 queries on two worker processes; the baselines are timed on a
subset of queries and extrapolated (said in the output).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv-screening"
LABELLED = HERE / "data" / "screening_labelled.jsonl"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))


# ---------------------------------------------------------------- shared helpers
def load_labelled(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or Path(os.environ.get("SCREENING_LABELLED", str(LABELLED)))
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(
    rows: list[dict[str, Any]], decisions: list[tuple[str | None, float]], threshold: float
) -> dict[str, float]:
    """Precision, recall and F1 when each query is decided by its best result."""
    tp = fp = fn = 0
    for row, (entity, score) in zip(rows, decisions, strict=True):
        hit = entity is not None and score >= threshold
        if row["label"] == "match":
            if hit and entity in row["expected"]:
                tp += 1
            else:
                fn += 1
                if hit:
                    fp += 1
        elif hit:
            fp += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": round(threshold, 3),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def best_threshold(
    rows: list[dict[str, Any]], decisions: list[tuple[str | None, float]]
) -> dict[str, float]:
    candidates = [t / 100 for t in range(30, 100)]
    return max((evaluate(rows, decisions, t) for t in candidates), key=lambda r: r["f1"])


def ensure_venv() -> Path:
    """The benchmark's own environment with rapidfuzz and nomenklatura."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import rapidfuzz, nomenklatura, normality"], capture_output=True
    )
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "rapidfuzz", "nomenklatura"], check=True
        )
    return python


# ---------------------------------------------------------------- ours (project venv)
def _records_from_ofac() -> list[Any]:
    from screening_data import load_ofac
    from vestige.core.screening import ListedRecord, Qualifiers

    return [
        ListedRecord(
            e.ent_num,
            "ofac",
            e.ent_num,
            "person" if e.is_person else "organization",
            tuple(e.names),
            Qualifiers(tuple(e.dobs), tuple(e.nationalities)),
        )
        for e in load_ofac().values()
    ]


def ours_accuracy(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from vestige.core.screening import (
        ALGORITHM,
        DEFAULT_THRESHOLD,
        VERSION,
        Qualifiers,
        ScreeningIndex,
    )

    index = ScreeningIndex(_records_from_ofac())
    decisions: list[tuple[str | None, float]] = []
    start = time.perf_counter()
    for row in rows:
        quals = Qualifiers((row["dob"],)) if row.get("dob") else Qualifiers()
        found = index.search(row["query"], quals, threshold=0.0, limit=1)
        decisions.append((found[0].record.entity_id, found[0].score) if found else (None, 0.0))
    elapsed = time.perf_counter() - start
    return {
        "name": f"{ALGORITHM} {VERSION}",
        "default_threshold": DEFAULT_THRESHOLD,
        "decisions": decisions,
        "seconds": round(elapsed, 3),
    }


_INDEX: Any = None


def _work(chunk: list[str]) -> tuple[int, float]:
    """Screen a share of the queries; return the results found and this worker's CPU time."""
    start = time.process_time()
    hits = sum(len(_INDEX.search(q)) for q in chunk)
    return hits, time.process_time() - start


def ours_speed(n_names: int, n_queries: int, workers: int) -> dict[str, Any]:
    global _INDEX
    from gen_screening_data import generate, queries
    from vestige.core.screening import ListedRecord, ScreeningIndex

    t0 = time.perf_counter()
    records = generate(n_names)
    qs = queries(records, n_queries)
    t1 = time.perf_counter()
    _INDEX = ScreeningIndex(
        ListedRecord(r, "gen", r, "person", tuple(names)) for r, names in records
    )
    t2 = time.perf_counter()
    chunks = [qs[i::workers] for i in range(workers)]
    ctx = multiprocessing.get_context("fork")  # workers share the built index copy-on-write
    with ctx.Pool(workers) as pool:
        t3 = time.perf_counter()
        done = pool.map(_work, chunks)
        t4 = time.perf_counter()
    hits = sum(h for h, _ in done)
    cpu = [round(c, 3) for _, c in done]
    return {
        "names": len(_INDEX),
        "records": len(records),
        "queries": len(qs),
        "workers": workers,
        "generate_seconds": round(t1 - t0, 2),
        "index_build_seconds": round(t2 - t1, 2),
        "query_seconds": round(t4 - t3, 3),
        "results_returned": hits,
        # CPU seconds each worker spent: on an idle two-core machine the wall time is the
        # larger of the two; on a loaded one the wall time above is longer.
        "worker_cpu_seconds": cpu,
        "load_average": list(os.getloadavg()),
    }


# ---------------------------------------------------------------- baselines (benchmark venv)
def _fold(text: str) -> str:
    from normality import ascii_text

    return " ".join((ascii_text(text) or "").lower().replace(",", " ").split())


def baseline_accuracy(out: Path) -> None:
    from followthemoney import model
    from nomenklatura.matching import LogicV2, NameMatcher, ScoringConfig
    from rapidfuzz import fuzz, process

    from screening_data import load_ofac

    rows = load_labelled()
    ents = load_ofac()
    names: list[str] = []
    owner: list[str] = []
    for e in ents.values():
        for n in e.names:
            names.append(_fold(n))
            owner.append(e.ent_num)
    ftm = {}
    for e in ents.values():
        proxy = model.make_entity("Person" if e.is_person else "LegalEntity")
        proxy.id = f"ofac-{e.ent_num}"
        proxy.add("name", e.names)
        if e.is_person:
            proxy.add("birthDate", e.dobs)
        proxy.add("country", [c.lower() for c in e.nationalities])
        ftm[e.ent_num] = proxy
    config = ScoringConfig.defaults()
    result: dict[str, Any] = {}
    t0 = time.perf_counter()
    rf: list[tuple[str | None, float]] = []
    for row in rows:
        best = process.extractOne(_fold(row["query"]), names, scorer=fuzz.token_sort_ratio)
        rf.append((owner[best[2]], best[1] / 100) if best else (None, 0.0))
    result["rapidfuzz"] = {
        "name": "rapidfuzz token_sort_ratio (ASCII-folded)",
        "default_threshold": 0.85,
        "decisions": rf,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    for algo in (NameMatcher, LogicV2):
        t0 = time.perf_counter()
        decisions: list[tuple[str | None, float]] = []
        for k, row in enumerate(rows):
            query = model.make_entity("Person")
            query.id = f"q-{k}"
            query.add("name", row["query"])
            if row.get("dob"):
                query.add("birthDate", row["dob"])
            cands = process.extract(_fold(row["query"]), names, scorer=fuzz.WRatio, limit=120)
            seen: list[str] = []
            for _, _, idx in cands:
                if owner[idx] not in seen:
                    seen.append(owner[idx])
                if len(seen) == 30:
                    break
            best: tuple[str | None, float] = (None, 0.0)
            for ent_num in seen:
                score = algo.compare(query, ftm[ent_num], config).score
                if score > best[1]:
                    best = (ent_num, score)
            decisions.append(best)
        result[algo.NAME] = {
            "name": f"nomenklatura {algo.NAME}",
            "default_threshold": 0.7,
            "decisions": decisions,
            "seconds": round(time.perf_counter() - t0, 3),
        }
    import nomenklatura

    result["versions"] = {"nomenklatura": getattr(nomenklatura, "__version__", "?")}
    out.write_text(json.dumps(result))


def baseline_speed(out: Path, n_names: int, n_queries: int, subset: int) -> None:
    from followthemoney import model
    from nomenklatura.matching import LogicV2, NameMatcher, ScoringConfig
    from rapidfuzz import fuzz, process

    from gen_screening_data import generate, queries

    records = generate(n_names)
    qs = queries(records, n_queries)
    names = [_fold(n) for _, ns in records for n in ns]
    sub = [_fold(q) for q in qs[:subset]]
    t0 = time.perf_counter()
    process.cdist(sub, names, scorer=fuzz.token_sort_ratio, workers=2, dtype="uint8")
    rf_secs = time.perf_counter() - t0
    result: dict[str, Any] = {
        "rapidfuzz": {
            "queries_timed": len(sub),
            "seconds": round(rf_secs, 3),
            "extrapolated_seconds": round(rf_secs * n_queries / len(sub), 1),
        },
    }
    config = ScoringConfig.defaults()
    pairs = 300
    for algo in (NameMatcher, LogicV2):
        proxies = []
        for k, (_, ns) in enumerate(records[:pairs]):
            p = model.make_entity("Person")
            p.id = f"g{k}"
            p.add("name", ns)
            proxies.append(p)
        q = model.make_entity("Person")
        q.id = "q"
        q.add("name", qs[0])
        algo.compare(q, proxies[0], config)
        t0 = time.perf_counter()
        for k, p in enumerate(proxies):
            q = model.make_entity("Person")
            q.id = f"q{k}"
            q.add("name", qs[k % len(qs)])
            algo.compare(q, p, config)
        per_pair = (time.perf_counter() - t0) / len(proxies)
        blocked = rf_secs * n_queries / len(sub) + per_pair * 30 * n_queries / 2
        result[algo.NAME] = {
            "pairs_timed": len(proxies),
            "seconds_per_pair": per_pair,
            "full_scan_extrapolated_seconds": round(per_pair * len(records) * n_queries / 2, 0),
            "with_rapidfuzz_blocking_extrapolated_seconds": round(blocked, 1),
        }
    out.write_text(json.dumps(result))


# ---------------------------------------------------------------- driver
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 names, 200 queries")
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--baseline-subset",
        type=int,
        default=20,
        help="queries the rapidfuzz full scan is timed on",
    )
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--labelled",
        type=Path,
        default=LABELLED,
        help="the labelled set (default benchmarks/data/screening_labelled.jsonl)",
    )
    parser.add_argument("--baseline-accuracy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline-speed", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.names, args.queries = 100_000, 200
    if args.baseline_accuracy:
        baseline_accuracy(args.baseline_accuracy)
        return
    if args.baseline_speed:
        baseline_speed(args.baseline_speed, args.names, args.queries, args.baseline_subset)
        return

    sys.path.insert(0, str(ROOT / "src"))
    os.environ["SCREENING_LABELLED"] = str(args.labelled.resolve())  # seen by the baselines too
    rows = load_labelled()
    report: dict[str, Any] = {
        "benchmark": "screening",
        "labelled_set": args.labelled.name,
        "labelled_queries": len(rows),
        "labelled_matches": sum(r["label"] == "match" for r in rows),
        "labelled_nonmatches": sum(r["label"] == "nonmatch" for r in rows),
        "cpu_count": os.cpu_count(),
        "accuracy": {},
    }
    python = None
    try:
        python = ensure_venv()
    except (subprocess.CalledProcessError, OSError) as exc:
        report["baseline_error"] = f"could not install rapidfuzz/nomenklatura: {exc}"
        print(report["baseline_error"])
    ours = ours_accuracy(rows)
    matchers = {"ours": ours}
    tmp = RESULTS / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    if python is not None:
        out = tmp / "screening-baselines.json"
        env = {**os.environ, "PYTHONPATH": str(HERE)}
        subprocess.run(
            [str(python), __file__, "--baseline-accuracy", str(out)], check=True, env=env
        )
        base = json.loads(out.read_text())
        report["baseline_versions"] = base.pop("versions", {})
        matchers.update(base)
    print(
        f"Accuracy on {len(rows)} labelled queries "
        f"({report['labelled_matches']} matches, {report['labelled_nonmatches']} non-matches)"
    )
    print(f"{'matcher':48} {'thr':>5} {'P':>6} {'R':>6} {'F1':>6}   best thr/F1")
    for key, m in matchers.items():
        decisions = [tuple(d) for d in m["decisions"]]
        at_default = evaluate(rows, decisions, m["default_threshold"])
        best = best_threshold(rows, decisions)
        per_variant: dict[str, dict[str, int]] = {}
        for row, (ent, score) in zip(rows, decisions, strict=True):
            v = per_variant.setdefault(f"{row['label']}:{row['variant']}", {"n": 0, "correct": 0})
            v["n"] += 1
            hit = ent is not None and score >= m["default_threshold"]
            ok = (hit and ent in row["expected"]) if row["label"] == "match" else not hit
            v["correct"] += int(ok)
        report["accuracy"][key] = {
            "matcher": m["name"],
            "at_default": at_default,
            "best": best,
            "seconds": m["seconds"],
            "per_variant": per_variant,
        }
        print(
            f"{m['name']:48} {at_default['threshold']:5.2f} {at_default['precision']:6.3f} "
            f"{at_default['recall']:6.3f} {at_default['f1']:6.3f}   "
            f"{best['threshold']:.2f}/{best['f1']:.3f}"
        )
    if not args.skip_speed:
        speed = ours_speed(args.names, args.queries, args.workers)
        report["speed"] = {"ours": speed}
        print(
            f"Speed: {speed['names']:,} names ({speed['records']:,} records), "
            f"index built in {speed['index_build_seconds']} s; {speed['queries']} queries in "
            f"{speed['query_seconds']} s on {speed['workers']} workers (CPU per worker "
            f"{speed['worker_cpu_seconds']} s; load average {speed['load_average'][0]:.1f})"
        )
        if python is not None:
            out = tmp / "screening-baseline-speed.json"
            env = {**os.environ, "PYTHONPATH": str(HERE)}
            subprocess.run(
                [
                    str(python),
                    __file__,
                    "--baseline-speed",
                    str(out),
                    "--names",
                    str(args.names),
                    "--queries",
                    str(args.queries),
                    "--baseline-subset",
                    str(args.baseline_subset),
                ],
                check=True,
                env=env,
            )
            bs = json.loads(out.read_text())
            report["speed"]["baselines"] = bs
            ours_s = speed["query_seconds"]
            rf = bs["rapidfuzz"]["extrapolated_seconds"]
            print(
                f"  rapidfuzz token_sort_ratio full scan (2 workers): {rf} s extrapolated from "
                f"{bs['rapidfuzz']['queries_timed']} queries: ours is {rf / ours_s:.0f}x faster"
            )
            for name in ("name-based", "logic-v2"):
                b = bs[name]
                print(
                    f"  nomenklatura {name}: {b['seconds_per_pair'] * 1e6:.0f} us/pair; full "
                    f"scan {b['full_scan_extrapolated_seconds']:.0f} s, with rapidfuzz "
                    f"blocking {b['with_rapidfuzz_blocking_extrapolated_seconds']} s "
                    f"(extrapolated; ours is "
                    f"{b['with_rapidfuzz_blocking_extrapolated_seconds'] / ours_s:.0f}x faster)"
                )
    stamp = time.strftime("%Y-%m-%d-%H%M%S")
    name = "screening-quick.json" if args.quick else f"screening-{stamp}.json"
    if args.labelled.resolve() != LABELLED.resolve():
        name = f"screening-{args.labelled.stem}-{stamp}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"results: benchmarks/results/{name}")


if __name__ == "__main__":
    main()
