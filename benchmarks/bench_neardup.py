"""How fast and how complete is near-duplicate search over 100,000 texts and 100,000 images?

Run it with ``.venv/bin/python benchmarks/bench_neardup.py`` (``--quick``: 10,000 of each), or
``make bench-neardup``.

1. ``gen_neardup_data.ensure`` makes (or reuses from ``benchmarks/results/tmp/``) the corpus: a
   tenth of each kind are planted near-copies of another item (paraphrased, paragraphs
   reordered, header translated into Russian or Armenian, truncated; images re-encoded,
   resized, trimmed, overlaid).
2. Texts: time to index every text in a ``TextIndex`` (MinHash LSH) and, on a sample of queries
   (half planted copies, half random items), the time per ``query`` against the time per
   exhaustive exact-Jaccard comparison with *every* stored text (vectorised numpy over all
   shingle sets) in the same run. Recall = share of the pairs the exhaustive pass finds at
   Jaccard ≥ 0.5 that the index also returns.
3. Images: time to hash every image (PDQ + pHash, decoding included) and to build an
   ``ImageIndex``; on a sample of queries the time per multi-index query (one at a time, and as
   one batch) against a brute-force Hamming distance to every stored hash (vectorised numpy),
   and the recall of the pairs within 31 bits. The batch and its batched baseline are each run
   three times, alternately; the medians are compared.
4. Planted pairs: the share of *all* planted copies whose original is found, per transform, by
   the index and by the fingerprint itself (the exhaustive pass on the same sample).

Prints a table and writes every figure to ``benchmarks/results/neardup.json``
(``neardup-quick.json`` with ``--quick``). ``--only images --reuse-hashes`` re-measures the image
index alone on the hashes saved by the last run (hashing 100,000 images takes minutes), keeping
the text figures of the existing file; each part records the date it was measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(REPO / "src"))

from gen_neardup_data import ensure  # noqa: E402
from vestige.core.neardup.hamming import hamming, load_arrays, save_arrays  # noqa: E402
from vestige.core.neardup.image import PHASH_VERSION, ImageIndex, image_fingerprint  # noqa: E402
from vestige.core.neardup.image import VERSION as IMAGE_VERSION  # noqa: E402
from vestige.core.neardup.match import FormatError  # noqa: E402
from vestige.core.neardup.text import TextIndex, jaccard, shingles  # noqa: E402

GOAL_RECALL = 0.95
GOAL_SPEEDUP = 50.0
BATCH_REPEATS = 3  # batched image search and its baseline: median of this many alternate runs
_HASH_CACHE_FORMAT = "vestige-bench-image-hashes/1"


def ms(values: list[float]) -> dict[str, float]:
    """Mean, median and p95 of durations given in seconds, as milliseconds."""
    ordered = sorted(values)
    return {
        "n": len(values),
        "mean_ms": round(statistics.fmean(values) * 1e3, 4),
        "p50_ms": round(ordered[len(ordered) // 2] * 1e3, 4),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1e3, 4),
    }


def sample_queries(keys: list[str], planted: list[dict[str, Any]], n: int, seed: int) -> list[str]:
    """Half planted copies, half items drawn at random (which may themselves be originals)."""
    rng = random.Random(seed)
    copies = rng.sample([p["copy"] for p in planted], min(n // 2, len(planted)))
    others = rng.sample(keys, n - len(copies))
    return copies + others


def bench_texts(folder: Path, planted: list[dict[str, Any]], n_queries: int) -> dict[str, Any]:
    keys, texts = [], []
    with open(folder / "texts.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            keys.append(record["key"])
            texts.append(record["text"])
    row_of = {k: i for i, k in enumerate(keys)}
    index = TextIndex()
    started = time.perf_counter()
    for key, text in zip(keys, texts, strict=True):
        index.add(key, text)
    signed = time.perf_counter()
    index.build()
    built = time.perf_counter()
    print(f"texts: indexed {len(keys):,} in {built - started:.1f} s", flush=True)

    queries = sample_queries(keys, planted, n_queries, seed=11)
    lsh_times, exhaustive_times = [], []
    truth_total = truth_found = 0
    candidates = []
    for key in queries:
        text = texts[row_of[key]]
        t0 = time.perf_counter()
        found = index.query(text, k=1000)
        t1 = time.perf_counter()
        truth = index.exhaustive(text)
        t2 = time.perf_counter()
        lsh_times.append(t1 - t0)
        exhaustive_times.append(t2 - t1)
        found_keys = {m.key for m in found} - {key}
        truth_keys = {m.key for m in truth} - {key}
        truth_total += len(truth_keys)
        truth_found += len(truth_keys & found_keys)
        candidates.append(len(index.candidates(index._hasher.signature(shingles(text)))))

    by_transform: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    t0 = time.perf_counter()
    for pair in planted:
        copy_row, original = row_of[pair["copy"]], pair["original"]
        similar = jaccard(index.shingle_set(copy_row), index.shingle_set(row_of[original])) >= 0.5
        hit = any(m.key == original for m in index.query(texts[copy_row], k=1000))
        for name in _categories(pair["transforms"]):
            counts = by_transform[name]
            counts[0] += 1
            counts[1] += int(similar)
            counts[2] += int(hit)
    planted_seconds = time.perf_counter() - t0
    lsh, exhaustive = ms(lsh_times), ms(exhaustive_times)
    return {
        "items": len(keys),
        "params": {"version": index.version, "threshold": index.params.threshold},
        "index_seconds": round(built - started, 2),
        "signature_seconds": round(signed - started, 2),
        "build_seconds": round(built - signed, 2),
        "query": lsh,
        "exhaustive": exhaustive,
        "speedup": round(exhaustive["mean_ms"] / lsh["mean_ms"], 1),
        "speedup_p50": round(exhaustive["p50_ms"] / lsh["p50_ms"], 1),
        "candidates_per_query_mean": round(statistics.fmean(candidates), 1),
        "pairs_by_exhaustive": truth_total,
        "recall_vs_exhaustive": round(truth_found / max(truth_total, 1), 4),
        "planted": _planted_summary(by_transform),
        "planted_query_seconds": round(planted_seconds, 2),
    }


def _categories(transforms: list[str]) -> list[str]:
    """The categories a pair counts in: "all", its exact combination ("only reencode+resize")
    and each of its transforms ("with reencode", "with resize")."""
    return ["all", "only " + "+".join(transforms), *(f"with {t}" for t in transforms)]


def _planted_summary(counts: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """Per transform: pairs, share within the threshold (fingerprint), share found (index)."""
    return {
        name: {
            "pairs": c[0],
            "within_threshold": round(c[1] / c[0], 4),
            "found_by_index": round(c[2] / c[0], 4),
        }
        for name, c in sorted(counts.items(), key=lambda kv: (kv[0] != "all", kv[0][:4], kv[0]))
    }


def _hash_chunk(blobs: list[bytes]) -> tuple[np.ndarray, list[int], np.ndarray]:
    pdq, quality, phash = [], [], []
    for blob in blobs:
        with Image.open(io.BytesIO(blob)) as opened:
            fingerprint = image_fingerprint(opened.convert("RGB"))
        pdq.append(fingerprint.pdq)
        quality.append(fingerprint.quality)
        phash.append(fingerprint.phash)
    return np.stack(pdq), quality, np.stack(phash)


def image_hashes(
    folder: Path,
    keys: list[str],
    blobs: Callable[[], list[bytes]],
    workers: int,
    reuse: bool,
) -> tuple[np.ndarray, list[int], np.ndarray, float, bool]:
    """PDQ, quality and pHash of every image, and the seconds hashing took.

    Hashing 100,000 images takes minutes, so the hashes (and the time they took) are kept next
    to the corpus; ``reuse`` reads them back when they were made by the same hash versions,
    for runs that only measure the index.
    """
    cache = folder / "image-hashes.npz"
    versions = {"pdq": IMAGE_VERSION, "phash": PHASH_VERSION, "n": len(keys)}
    if reuse and cache.exists():
        try:
            header, arrays = load_arrays(cache, _HASH_CACHE_FORMAT)
        except FormatError:
            header, arrays = {}, {}
        if header.get("versions") == versions and [str(k) for k in arrays["keys"]] == keys:
            return (arrays["pdq"], arrays["quality"].tolist(), arrays["phash"],
                    float(header["seconds"]), True)  # fmt: skip
    started = time.perf_counter()
    all_blobs = blobs()
    chunks = [all_blobs[i : i + 2000] for i in range(0, len(all_blobs), 2000)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(_hash_chunk, chunks))
    pdq = np.concatenate([p[0] for p in parts])
    quality = [q for p in parts for q in p[1]]
    phash = np.concatenate([p[2] for p in parts])
    seconds = time.perf_counter() - started
    header = {"format": _HASH_CACHE_FORMAT, "versions": versions, "seconds": round(seconds, 2),
              "workers": workers}  # fmt: skip
    save_arrays(cache, header, keys=np.array(keys, dtype=str), pdq=pdq,
                quality=np.array(quality, dtype=np.int16), phash=phash)  # fmt: skip
    return pdq, quality, phash, seconds, False


def bench_images(
    folder: Path,
    planted: list[dict[str, Any]],
    n_queries: int,
    workers: int,
    reuse_hashes: bool = False,
) -> dict[str, Any]:
    with np.load(folder / "images.npz", allow_pickle=False) as data:
        keys = [str(k) for k in data["keys"]]
        raw, offsets = data["data"], data["offsets"]
    pdq, quality, phash, hash_seconds, hash_cached = image_hashes(
        folder, keys, lambda: [raw[offsets[i] : offsets[i + 1]].tobytes()
                               for i in range(len(keys))], workers, reuse_hashes
    )  # fmt: skip
    row_of = {k: i for i, k in enumerate(keys)}
    hashed = time.perf_counter()
    index = ImageIndex()
    index.add_hashes(keys, pdq, quality, phash)
    index.build()
    built = time.perf_counter()
    print(f"images: hashed {len(keys):,} in {hash_seconds:.1f} s ({workers} processes"
          f"{', reused from an earlier run' if hash_cached else ''}), "
          f"index built in {built - hashed:.2f} s", flush=True)  # fmt: skip

    queries = sample_queries(keys, planted, n_queries, seed=12)
    rows = np.array([row_of[k] for k in queries])
    single_times, exhaustive_times = [], []
    truth_total = truth_found = 0
    for key, row in zip(queries, rows.tolist(), strict=True):
        t0 = time.perf_counter()
        found = index.query_hashes(pdq[row : row + 1])[0]
        t1 = time.perf_counter()
        truth = index.exhaustive(pdq[row])
        t2 = time.perf_counter()
        single_times.append(t1 - t0)
        exhaustive_times.append(t2 - t1)
        found_keys = {m.key for m in found} - {key}
        truth_keys = {k for k, _ in truth} - {key}
        truth_total += len(truth_keys)
        truth_found += len(truth_keys & found_keys)
    # The fairest baseline for a batch is a batched brute force: blocks of queries at once.
    # The index's pass takes a fraction of a second, so on a shared machine one pause of another
    # process weighs heavily: both are run BATCH_REPEATS times, alternately, and compared by
    # their medians.
    batch_runs, exhaustive_batch_runs = [], []
    for _ in range(BATCH_REPEATS):
        t0 = time.perf_counter()
        batch = index.query_hashes(pdq[rows])
        batch_runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        batch_truth = 0
        for start in range(0, len(rows), 16):
            block = pdq[rows[start : start + 16]]
            distances = hamming(pdq[None, :, :], block[:, None, :])
            batch_truth += int((distances <= index.max_distance).sum())
        exhaustive_batch_runs.append(time.perf_counter() - t0)
    batch_seconds = statistics.median(batch_runs)
    exhaustive_batch_seconds = statistics.median(exhaustive_batch_runs)
    batch_same = all(
        {m.key for m in b} == {m.key for m in index.query_hashes(pdq[r : r + 1])[0]}
        for b, r in zip(batch[:200], rows[:200].tolist(), strict=True)
    )

    copy_rows = np.array([row_of[p["copy"]] for p in planted])
    original_rows = np.array([row_of[p["original"]] for p in planted])
    t0 = time.perf_counter()
    results = index.query_hashes(pdq[copy_rows])
    planted_seconds = time.perf_counter() - t0
    distances = hamming(pdq[copy_rows], pdq[original_rows])
    by_transform: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for pair, found, distance in zip(planted, results, distances.tolist(), strict=True):
        hit = any(m.key == pair["original"] for m in found)
        for name in _categories(pair["transforms"]):
            counts = by_transform[name]
            counts[0] += 1
            counts[1] += int(distance <= index.max_distance)
            counts[2] += int(hit)
    single, exhaustive = ms(single_times), ms(exhaustive_times)
    per_batch_ms = batch_seconds * 1e3 / len(rows)
    exhaustive_batch_ms = exhaustive_batch_seconds * 1e3 / len(rows)
    return {
        "items": len(keys),
        "params": {
            "max_distance": index.max_distance,
            "chunks": 16,
            "probe_radius": 1,
            "bit_permutation": True,
        },
        "hash_seconds": round(hash_seconds, 2),
        "hash_workers": workers,
        "hashes_reused": hash_cached,
        "build_seconds": round(built - hashed, 2),
        "query_single": single,
        "query_batch_mean_ms": round(per_batch_ms, 4),
        "batch_repeats": BATCH_REPEATS,
        "query_batch_runs_ms": [round(t * 1e3 / len(rows), 4) for t in batch_runs],
        "exhaustive_batch_runs_ms": [round(t * 1e3 / len(rows), 4) for t in exhaustive_batch_runs],
        "batch_results_equal_single": batch_same,
        "exhaustive": exhaustive,
        "exhaustive_batch_mean_ms": round(exhaustive_batch_ms, 4),
        "batch_pairs_equal": batch_truth == sum(len(b) for b in batch),
        "speedup_single": round(exhaustive["mean_ms"] / single["mean_ms"], 1),
        "speedup_single_p50": round(exhaustive["p50_ms"] / single["p50_ms"], 1),
        "speedup_batch": round(exhaustive_batch_ms / per_batch_ms, 1),
        "pairs_by_exhaustive": truth_total,
        "recall_vs_exhaustive": round(truth_found / max(truth_total, 1), 4),
        "planted": _planted_summary(by_transform),
        "planted_distance_p50": int(np.median(distances)),
        "planted_distance_p95": int(np.percentile(distances, 95)),
        "planted_query_seconds": round(planted_seconds, 2),
        "low_quality_share": round(float(np.mean(np.array(quality) < 50)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 texts and images")
    parser.add_argument("--n", type=int, help="items of each kind (default 100,000)")
    parser.add_argument("--text-queries", type=int, default=300)
    parser.add_argument("--image-queries", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="processes for generation/hashing")
    parser.add_argument(
        "--only",
        choices=("texts", "images"),
        help="measure one kind; the other's figures are kept from the existing results file",
    )
    parser.add_argument(
        "--reuse-hashes",
        action="store_true",
        help="reuse the image hashes (and their hashing time) saved by an earlier run",
    )
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    out = RESULTS / ("neardup-quick.json" if args.quick else "neardup.json")
    previous = json.loads(out.read_text()) if args.only and out.exists() else {}
    if args.only and previous.get("n") != n:
        parser.error(f"--only needs an earlier full run with --n {n} in {out.name}")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    folder, generated = ensure(n, workers=args.workers)
    if not generated and (folder / "generation.json").exists():
        generated = json.loads((folder / "generation.json").read_text())["seconds"]
    print(f"data: {folder} (generated in {generated or 0:.0f} s)")
    planted = json.loads((folder / "planted.json").read_text())
    if args.only == "images":
        texts = previous["texts"]
    else:
        texts = bench_texts(folder, planted["texts"], args.text_queries)
        texts["date"] = now
    if args.only == "texts":
        images = previous["images"]
    else:
        images = bench_images(
            folder, planted["images"], args.image_queries, args.workers, args.reuse_hashes
        )
        images["date"] = now
    texts.setdefault("date", previous.get("date"))
    images.setdefault("date", previous.get("date"))

    result = {
        "benchmark": "neardup",
        "date": now,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
        },
        "n": n,
        "data": str(folder.relative_to(REPO)),
        "generation_seconds": round(generated, 1) if generated else None,
        "goal": {"recall": GOAL_RECALL, "speedup": GOAL_SPEEDUP},
        "texts": texts,
        "images": images,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    report(result)
    print(f"\nwritten to {out.relative_to(REPO)}")


def report(result: dict[str, Any]) -> None:
    t, i = result["texts"], result["images"]
    rows = [
        ("texts: index all", f"{t['index_seconds']:.1f} s", ""),
        ("texts: LSH query (mean)", f"{t['query']['mean_ms']:.2f} ms", ""),
        ("texts: exhaustive Jaccard (mean)", f"{t['exhaustive']['mean_ms']:.2f} ms", ""),
        ("texts: speed-up / recall vs exhaustive",
         f"{t['speedup']:.0f}×", f"{t['recall_vs_exhaustive']:.4f}"),
        ("texts: planted pairs found", "", f"{t['planted']['all']['found_by_index']:.4f}"),
        ("images: hash all / build", f"{i['hash_seconds']:.1f} s / {i['build_seconds']:.2f} s", ""),
        ("images: MIH query single (mean)", f"{i['query_single']['mean_ms']:.3f} ms", ""),
        ("images: MIH query batched (per query)", f"{i['query_batch_mean_ms']:.3f} ms", ""),
        ("images: brute-force Hamming (mean)", f"{i['exhaustive']['mean_ms']:.3f} ms", ""),
        ("images: brute-force batched (per query)", f"{i['exhaustive_batch_mean_ms']:.3f} ms", ""),
        ("images: speed-up single / batched",
         f"{i['speedup_single']:.0f}× / {i['speedup_batch']:.0f}×",
         f"{i['recall_vs_exhaustive']:.4f}"),
        ("images: planted pairs found", "", f"{i['planted']['all']['found_by_index']:.4f}"),
    ]  # fmt: skip
    print(f"\n{result['n']:,} texts + {result['n']:,} images")
    print(f"{'':42} {'time':>22} {'recall':>8}")
    for label, value, recall in rows:
        print(f"{label:42} {value:>22} {recall:>8}")
    goal = result["goal"]
    for kind, speed in (("texts", t["speedup"]), ("images, one query at a time",
                        i["speedup_single"]), ("images, batched", i["speedup_batch"])):  # fmt: skip
        recall = result[kind.split(",")[0]]["recall_vs_exhaustive"]
        met = recall >= goal["recall"] and speed >= goal["speedup"]
        print(f"goal ({kind}): recall ≥ {goal['recall']} at ≥ {goal['speedup']:.0f}×: "
              f"{'met' if met else 'NOT met'} (recall {recall:.4f}, {speed:.0f}×)")  # fmt: skip


if __name__ == "__main__":
    main()
