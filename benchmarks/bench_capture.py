"""How fast does the capture engine archive web pages, next to ``wget --warc-file``?

Run it with ``.venv/bin/python benchmarks/bench_capture.py [--pages 200] [--browser-pages 200]
[--workers 2×cores] [--browser-workers 2]`` (``--browser-pages 0`` skips browser mode).

A local site (tests/capture_site.py, on 127.0.0.1) serves generated pages ``/gen/1`` … ``/gen/N``:
each has a title, five paragraphs, two images and a stylesheet. In one run, on the same pages:

1. baseline A: one ``wget --warc-file=… --page-requisites`` over all N URLs (it fetches the
   shared images and stylesheet once for the whole run);
2. baseline B: one such wget per page, each with its own WARC, ``--workers`` at a time — the
   same unit of work as a capture (an independent archive of one page and its resources); the
   goal's ratio is taken against B, and the ratio to A is printed too;
3. Vestige, HTTP-only mode: ``capture_url`` for each URL through a bounded pool of worker
   processes (``--workers``, ``--pool thread`` for threads), each capture writing its own WARC
   and WACZ, extracting text and media (the app's batch path is not used: it adds database
   writes and custody events, which this benchmark leaves out);
4. Vestige, browser mode: the same with headless Chromium (``--browser-workers``).

It prints pages per minute, the HTTP-mode ratio to wget (goal ≥ 0.5×), whether browser mode
reaches 30 pages per minute, the peak memory (maximum resident set of this process and of the
largest waited-for child, from ``resource.getrusage``; and the PSS of the whole process tree —
workers, Playwright's driver, Chromium, wget — sampled from /proc ten times a second), and
writes everything to ``benchmarks/results/capture-<date>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "src"))

from tests.capture_site import CaptureSite  # noqa: E402

from vestige.core.capture import CaptureOptions, capture_url  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
GOAL_RATIO = 0.5
GOAL_BROWSER_PPM = 30.0


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(own, 1), "children_mb": round(children, 1)}


def _pss_kb(pid: int) -> int:
    """Proportional set size: resident memory with shared pages split between their users
    (summing plain RSS over Chromium's processes would count shared pages many times)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_rss_mb(root: int) -> float:
    """Memory (PSS) of ``root`` and all its descendants now (from /proc), in MB."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    members, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in members:
                members.add(pid)
                frontier.append(pid)
    return sum(_pss_kb(pid) for pid in members) / 1024


class MemorySampler:
    """Samples the memory of this process tree (workers, Chromium, wget) ten times a second."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(os.getpid()))
            if self._stop.wait(0.1):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _wget() -> str:
    wget = shutil.which("wget")
    if wget is None:
        raise SystemExit("wget is absent: run scripts/system-deps.sh (Debian's wget package)")
    return wget


WGET_ARGS = ["--quiet", "--page-requisites", "--execute", "robots=off", "--tries=1",
             "--timeout=30", "--no-warc-keep-log"]


def run_wget_once(urls: list[str], work: Path) -> dict[str, Any]:
    """Baseline A: one wget over the whole list (it fetches shared images only once)."""
    wget = _wget()
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    started = time.perf_counter()
    done = subprocess.run(
        [wget, *WGET_ARGS, f"--warc-file={work / 'wget'}", "--directory-prefix",
         str(work / "files"), "--input-file", str(listing)],
        capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    warc = work / "wget.warc.gz"
    return {"seconds": round(seconds, 3), "exit_code": done.returncode,
            "pages_per_minute": round(len(urls) / seconds * 60, 1),
            "warc_bytes": warc.stat().st_size if warc.exists() else 0,
            "version": subprocess.run([wget, "--version"], capture_output=True, text=True,
                                      check=False).stdout.splitlines()[0]}


def run_wget_per_page(urls: list[str], work: Path, workers: int) -> dict[str, Any]:
    """Baseline B: one wget per page, its own WARC, ``workers`` at a time — the same unit of
    work as a capture (an independent archive of one page with its resources)."""
    wget = _wget()
    work.mkdir(parents=True, exist_ok=True)

    def one(index_url: tuple[int, str]) -> int:
        index, url = index_url
        folder = work / f"{index:04d}"
        folder.mkdir()  # wget does not create the folder of its --warc-file
        done = subprocess.run(
            [wget, *WGET_ARGS, f"--warc-file={folder / 'page'}", "--directory-prefix",
             str(folder / "files"), url],
            capture_output=True, text=True, check=False,
        )
        return done.returncode

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        codes = list(pool.map(one, enumerate(urls)))
    seconds = time.perf_counter() - started
    warcs = sum(f.stat().st_size for f in work.glob("*/page.warc.gz"))
    return {"seconds": round(seconds, 3), "workers": workers,
            "exit_codes": dict(Counter(codes)),
            "pages_per_minute": round(len(urls) / seconds * 60, 1), "warc_bytes": warcs}


def _capture_one(job: tuple[str, str, str]) -> tuple[str, int, int]:
    """One capture (module level so a process pool can run it)."""
    url, workdir, mode = job
    options = CaptureOptions(mode=mode, allowed_networks=("127.0.0.1/32",), timeout=30,
                             page_timeout=120)
    out = capture_url(url, Path(workdir), options)
    wacz = out.file("wacz")
    return out.outcome, len(out.files), wacz.path.stat().st_size if wacz else 0


def _warm_up(_ignored: int) -> int:
    """Load what a long-running capture worker has loaded already (parsers, extractor table)."""
    from vestige.core.capture import media, textmeta

    media.platform_extractor("https://example.org/")
    textmeta.extract("<html><title>warm</title><body><p>warm</p></body></html>",
                     "https://example.org/")
    return os.getpid()


def run_vestige(
    urls: list[str], work: Path, mode: str, workers: int, pool_kind: str
) -> dict[str, Any]:
    jobs = [(url, str(work / f"{mode}-{i:04d}"), mode) for i, url in enumerate(urls)]
    pool_class = ProcessPoolExecutor if pool_kind == "process" else ThreadPoolExecutor
    with pool_class(workers) as pool:
        # Start the workers and load their libraries before the clock starts, as the app's
        # worker processes are long-lived; the start-up is reported separately.
        warm_started = time.perf_counter()
        list(pool.map(_warm_up, range(workers * 4)))
        warm_seconds = time.perf_counter() - warm_started
        started = time.perf_counter()
        results = list(pool.map(_capture_one, jobs))
        seconds = time.perf_counter() - started
    outcomes = Counter(outcome for outcome, _files, _size in results)
    return {"mode": mode, "workers": workers, "pool": pool_kind, "seconds": round(seconds, 3),
            "worker_start_seconds": round(warm_seconds, 3),
            "pages_per_minute": round(len(urls) / seconds * 60, 1),
            "outcomes": dict(outcomes), "files": sum(files for _o, files, _s in results),
            "wacz_bytes": sum(size for _o, _f, size in results),
            "peak_memory": peak_memory_mb()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--browser-pages", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="capture processes, and wgets at a time in baseline B (default: "
                        "two per core — a capture spends part of its time waiting on the "
                        "network)")
    parser.add_argument("--browser-workers", type=int, default=2)
    parser.add_argument("--pool", choices=("process", "thread"), default="process",
                        help="run captures in worker processes (default) or threads")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    document: dict[str, Any] = {
        "benchmark": "capture",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "pages": args.pages,
        "browser_pages": args.browser_pages,
    }
    try:
        with CaptureSite(with_video=False) as site:
            urls = [site.url(f"/gen/{n}") for n in range(1, args.pages + 1)]
            print(f"site on {site.url('/')}; {len(urls)} pages, each with 2 images and a "
                  "stylesheet")
            with MemorySampler() as memory:
                document["wget"] = run_wget_once(urls, work / "wget")
            document["wget"]["peak_tree_pss_mb"] = round(memory.peak_mb, 1)
            with MemorySampler() as memory:
                document["wget_per_page"] = run_wget_per_page(urls, work / "wget-pages",
                                                              args.workers)
            document["wget_per_page"]["peak_tree_pss_mb"] = round(memory.peak_mb, 1)
            with MemorySampler() as memory:
                http = run_vestige(urls, work, "http", args.workers, args.pool)
            http["peak_tree_pss_mb"] = round(memory.peak_mb, 1)
            document["vestige_http"] = http
            once = document["wget"]["pages_per_minute"]
            per_page = document["wget_per_page"]["pages_per_minute"]
            ratio = http["pages_per_minute"] / per_page
            document["ratio_http_to_wget_per_page"] = round(ratio, 3)
            document["ratio_http_to_wget_once"] = round(http["pages_per_minute"] / once, 3)
            print(f"A wget, one run over all pages     {once:9.1f} pages/min "
                  f"({document['wget']['seconds']} s)")
            print(f"B wget, one per page, {args.workers} at a time  {per_page:9.1f} pages/min "
                  f"({document['wget_per_page']['seconds']} s)")
            print(f"vestige http, {args.workers} workers         "
                  f"{http['pages_per_minute']:9.1f} pages/min ({http['seconds']} s) "
                  f"outcomes {http['outcomes']}")
            print(f"ratio http / B (same unit of work) {ratio:9.2f}x  (goal >= {GOAL_RATIO}x: "
                  f"{'met' if ratio >= GOAL_RATIO else 'NOT met'})")
            print(f"ratio http / A                     "
                  f"{document['ratio_http_to_wget_once']:9.2f}x")
            if args.browser_pages:
                browser_urls = urls[: args.browser_pages]
                if len(browser_urls) < args.browser_pages:
                    browser_urls = [site.url(f"/gen/{n}")
                                    for n in range(1, args.browser_pages + 1)]
                with MemorySampler() as memory:
                    browser = run_vestige(browser_urls, work, "browser", args.browser_workers,
                                          args.pool)
                browser["peak_tree_pss_mb"] = round(memory.peak_mb, 1)
                document["vestige_browser"] = browser
                ppm = browser["pages_per_minute"]
                print(f"vestige browser, {args.browser_workers} workers      {ppm:9.1f} pages/min "
                      f"({browser['seconds']} s) outcomes {browser['outcomes']}  (goal >= "
                      f"{GOAL_BROWSER_PPM:g}: {'met' if ppm >= GOAL_BROWSER_PPM else 'NOT met'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    document["peak_memory"] = peak_memory_mb()
    print(f"peak memory: this process {document['peak_memory']['self_mb']} MB, largest child "
          f"{document['peak_memory']['children_mb']} MB (getrusage)")
    for key in ("wget", "wget_per_page", "vestige_http", "vestige_browser"):
        if key in document:
            print(f"peak memory of the whole process tree during {key}: "
                  f"{document[key]['peak_tree_pss_mb']} MB (PSS sampled from /proc)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    out = RESULTS / f"capture-{stamp}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
