"""How fast is search on 1,000,000 items and 100,000 incidents? And the incident pages?

Run it with ``.venv/bin/python benchmarks/bench_search.py`` (``--small`` for a quick run).

1. Generates a fresh instance under ``benchmarks/results/tmp/search-<time>/`` (SQLite, or the
   PostgreSQL database that DATABASE_URL names) with ``gen_search_data.generate``: 1,000,000
   items of multilingual text and 100,000 incidents (``--small``: 20,000 and 2,000).
2. Times ``vestige.search.service.search`` — what the web page, the API and the CLI call — as
   the case's owner, for ``--queries`` queries (default 300) drawn from the vocabulary: one
   name in any script, two words, a name and a phrase word; each with facets and snippets.
3. Times the bare full-text query on the same data with the same match expression:
   ``SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rank LIMIT 20`` (SQLite) or
   ``... WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC LIMIT 20`` (PostgreSQL).
4. Times the incident list and map pages (``/cases/bench/incidents/`` and ``.../map/``)
   through Django's test client, if they exist.

Prints a table and writes every figure to ``benchmarks/results/search-<date>.json``. The
generated instance is deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
GOAL_SEARCH_P95_MS = 100.0
GOAL_PAGE_P95_MS = 300.0


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95, max and mean of a list of milliseconds."""
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
        "mean_ms": round(statistics.fmean(values), 2),
    }


def make_queries(n: int, seed: int) -> list[str]:
    """Queries drawn from the generator's vocabulary, in every script."""
    sys.path.insert(0, str(Path(__file__).parent))
    from gen_search_data import ACTORS, PLACES, vocabulary_words

    rng = random.Random(seed)
    words = vocabulary_words()
    queries = []
    for i in range(n):
        shape = i % 4
        if shape == 0:
            name, others = rng.choice(PLACES)
            queries.append(rng.choice([name, *others]))
        elif shape == 1:
            queries.append(rng.choice(rng.choice(ACTORS)))
        elif shape == 2:
            queries.append(f"{rng.choice(words)} {rng.choice(words)}")
        else:
            name, others = rng.choice(PLACES)
            queries.append(f"{rng.choice(['blockade', 'hospital', 'обстрел', 'checkpoint'])} "
                           f"{rng.choice([name, *others])}")
    return queries


def bare_fulltext(query: str) -> tuple[str, list[Any]]:
    """The bare full-text query for the same match expression."""
    from django.db import connection

    from vestige.search.service import _postgres_match, _sqlite_match, query_keys

    groups = query_keys(query)
    if connection.vendor == "sqlite":
        return ("SELECT rowid FROM search_fts WHERE search_fts MATCH %s ORDER BY rank LIMIT 20",
                [_sqlite_match(groups, False, [])])
    match, match_params, tsquery, params = _postgres_match(groups, False, [])
    return (
        f"SELECT e.id FROM search_searchentry e WHERE {match} "
        f"ORDER BY ts_rank(e.tsv, ({tsquery})) DESC, e.id LIMIT 20",
        match_params + params,
    )


def machine() -> dict[str, Any]:
    """What the run ran on."""
    import sqlite3

    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()
        except OSError:
            return ""

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "commit": run(["git", "rev-parse", "--short", "HEAD"]),
        "dirty": bool(run(["git", "status", "--porcelain"])),
    }


def main() -> int:
    """Generate, measure, report."""
    parser = argparse.ArgumentParser(description="Search benchmark")
    parser.add_argument("--small", action="store_true", help="20,000 items, 2,000 incidents")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--incidents", type=int, default=None)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--page-requests", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the generated instance")
    args = parser.parse_args()
    items = args.items if args.items is not None else (20_000 if args.small else 1_000_000)
    incidents = args.incidents if args.incidents is not None else (
        2_000 if args.small else 100_000)

    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    workdir = RESULTS / "tmp" / f"search-{stamp}"
    workdir.mkdir(parents=True)
    os.environ["VESTIGE_DATA_DIR"] = str(workdir)
    os.environ["VESTIGE_FSYNC"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vestige.settings")
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from vestige.cli.base import setup_django

        setup_django()
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment

        from gen_search_data import generate
        from vestige.search.service import search

        print(f"generating {items:,} items and {incidents:,} incidents in {workdir} …")
        written = generate(items, incidents, args.seed,
                           on_progress=lambda m: print(f"  {m}", flush=True))
        print(f"generated in {written['seconds']} s")
        db_path = workdir / "vestige.sqlite3"
        db_mb = round(db_path.stat().st_size / 1e6, 1) if db_path.exists() else None

        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.get(username="bench")
        queries = make_queries(args.queries, args.seed)
        for q in queries[:20]:  # warm the caches
            search(q, user=owner)

        search_ms: list[float] = []
        totals: list[int] = []
        for q in queries:
            t0 = time.perf_counter()
            results = search(q, user=owner)
            search_ms.append((time.perf_counter() - t0) * 1000)
            totals.append(results.total)

        bare_ms: list[float] = []
        with connection.cursor() as cursor:
            for q in queries:
                sql, params = bare_fulltext(q)
                t0 = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                bare_ms.append((time.perf_counter() - t0) * 1000)

        setup_test_environment()
        client = Client()
        client.force_login(owner)
        pages: dict[str, Any] = {}
        for name, url in (("incident list", "/cases/bench/incidents/"),
                          ("incident map", "/cases/bench/incidents/map/")):
            first = client.get(url)
            if first.status_code != 200:
                pages[name] = {"url": url, "status": first.status_code, "measured": False}
                continue
            times = []
            for _ in range(args.page_requests):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            pages[name] = {"url": url, "status": 200, "measured": True,
                           "bytes": len(first.content), **summary(times)}

        report = {
            "benchmark": "search",
            "date": stamp,
            "database": connection.vendor,
            "machine": machine(),
            "data": {**written, "database_mb": db_mb},
            "queries": args.queries,
            "search": summary(search_ms),
            "bare_fulltext": summary(bare_ms),
            "ratio_p50": round(percentile(search_ms, 50) / percentile(bare_ms, 50), 2),
            "ratio_p95": round(percentile(search_ms, 95) / percentile(bare_ms, 95), 2),
            "matches": {"median": statistics.median(totals), "max": max(totals),
                        "zero": sum(1 for t in totals if t == 0)},
            "pages": pages,
            "goals": {"search_p95_ms": GOAL_SEARCH_P95_MS, "page_p95_ms": GOAL_PAGE_P95_MS},
        }
        out = RESULTS / f"search-{stamp}.json"
        out.write_text(json.dumps(report, indent=2, default=str) + "\n")
        s, b = report["search"], report["bare_fulltext"]
        print(f"\n{'':24}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
        print(f"{'search (facets+snippets)':24}{s['p50_ms']:>10}{s['p95_ms']:>10}{s['max_ms']:>10}")
        print(f"{'bare full-text query':24}{b['p50_ms']:>10}{b['p95_ms']:>10}{b['max_ms']:>10}")
        print(f"ratio search/bare: p50 {report['ratio_p50']}x, p95 {report['ratio_p95']}x")
        print(f"matches per query: median {report['matches']['median']}, "
              f"max {report['matches']['max']}, none {report['matches']['zero']}")
        for name, page in pages.items():
            if page["measured"]:
                print(f"{name:24}{page['p50_ms']:>10}{page['p95_ms']:>10}{page['max_ms']:>10}")
            else:
                print(f"{name:24}  not measured: {page['url']} answered {page['status']}")
        print(f"\nwritten to {out.relative_to(REPO)}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


if __name__ == "__main__":
    sys.exit(main())
