"""How fast does ``vestige import`` bring files in, next to copying and hashing them?

Run it with ``make bench`` or ``.venv/bin/python benchmarks/bench_import.py [--quick]``.

Two sets of random files are generated on the same disk as the repository (under
``benchmarks/results/tmp``, which git ignores): a large set (~1 GB of files of 1–50 MB) and a small
set (20,000 files of 1–64 KB). For each set the same run measures each step once (``--repeat N``:
N interleaved rounds, medians reported), after a read of every source file so that every step
starts from a warm page cache and a ``sync``:

1. ``cp -r SRC DST && sync``: a plain copy made durable;
2. ``sha256sum`` over every file (``xargs -0`` batches, one process);
3. ``openssl dgst -sha256`` over every file (the same);
4. the real command ``vestige import SRC --case bench --json > /dev/null`` into a fresh data folder
   (SQLite; every blob is fsynced). ``vestige init`` and ``vestige case create`` are not timed.

It also times an import of two 1 KB files: the command's fixed cost (Python and Django start-up,
the worker processes). It prints a table, and writes every figure with the machine's description
to ``benchmarks/results/import-<date>.json``. ``--quick`` uses 100 MB and 2,000 small files.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
MB = 1_000_000
MIB = 1024 * 1024
GOAL_RATIO = 0.8  # the goal: import at least 0.8x the cp+sync copy on the large set


@dataclass
class FileSet:
    """A set of generated files: its folder, how many and how many bytes."""

    name: str
    root: Path
    files: int = 0
    bytes: int = 0


@dataclass
class Step:
    """One measured step over one file set."""

    name: str
    seconds: float
    mb_per_s: float
    files_per_s: float
    command: str
    runs: list[float] = field(default_factory=list)


@dataclass
class SetResult:
    """Every step measured over one file set, and the import's ratios to the others."""

    name: str
    files: int
    bytes: int
    steps: dict[str, Step] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    imported_items: int | None = None


def vestige_bin() -> Path:
    """The ``vestige`` command of the virtualenv running this script."""
    candidate = Path(sys.executable).parent / "vestige"
    if candidate.exists():
        return candidate
    found = shutil.which("vestige")
    if not found:
        sys.exit("bench: no `vestige` command; run `make install` first")
    return Path(found)


def write_random_file(path: Path, size: int) -> None:
    """Write ``size`` random bytes to ``path``."""
    with open(path, "wb") as out:
        left = size
        while left:
            n = min(left, 4 * MIB)
            out.write(os.urandom(n))
            left -= n


def generate_large(root: Path, total_bytes: int, rng: random.Random) -> FileSet:
    """Files of 1–50 MB adding up to about ``total_bytes``."""
    fileset = FileSet("large", root)
    root.mkdir(parents=True)
    while fileset.bytes < total_bytes:
        size = rng.randint(1 * MB, 50 * MB)
        size = min(size, max(total_bytes - fileset.bytes, 1 * MB))
        write_random_file(root / f"large-{fileset.files:04d}.bin", size)
        fileset.files += 1
        fileset.bytes += size
    return fileset


def generate_small(root: Path, count: int, rng: random.Random) -> FileSet:
    """``count`` files of 1–64 KB, 1,000 to a folder."""
    fileset = FileSet("small", root)
    for index in range(count):
        folder = root / f"d{index // 1000:03d}"
        if index % 1000 == 0:
            folder.mkdir(parents=True)
        size = rng.randint(1024, 64 * 1024)
        (folder / f"small-{index:05d}.bin").write_bytes(os.urandom(size))
        fileset.files += 1
        fileset.bytes += size
    return fileset


def warm(fileset: FileSet) -> None:
    """Read every source file once, so that the next step finds them in the page cache."""
    for directory, _, names in os.walk(fileset.root):
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                while handle.read(4 * MIB):
                    pass


def timed_shell(command: str, env: dict[str, str] | None = None) -> float:
    """Run ``command`` with bash; return its wall time; fail loudly if it fails."""
    started = time.perf_counter()
    result = subprocess.run(["bash", "-c", command], env=env, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bench: `{command}` exited {result.returncode}:\n{result.stderr[-4000:]}")
    return seconds


def quote(path: Path) -> str:
    """A path quoted for bash."""
    return "'" + str(path).replace("'", "'\"'\"'") + "'"


def vestige_env(data_dir: Path) -> dict[str, str]:
    """The environment for ``vestige`` with a data folder of its own, on SQLite, fsync on."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["VESTIGE_DATA_DIR"] = str(data_dir)
    env["VESTIGE_FSYNC"] = "true"
    return env


def fresh_instance(data_dir: Path) -> dict[str, str]:
    """``vestige init`` and ``vestige case create bench`` in a new data folder (not timed)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    env = vestige_env(data_dir)
    for args in (["init"], ["case", "create", "bench", "--title", "Bench"]):
        subprocess.run(
            [str(vestige_bin()), *args], env=env, check=True, stdout=subprocess.DEVNULL
        )
    return env


def items_in_bench(env: dict[str, str]) -> int:
    """How many items the case ``bench`` holds."""
    listing = subprocess.run(
        [str(vestige_bin()), "case", "list", "--json"], env=env, check=True,
        capture_output=True, text=True,
    )
    return int({row["slug"]: row for row in json.loads(listing.stdout)}["bench"]["items"])


def measure(fileset: FileSet, work: Path, repeat: int) -> SetResult:
    """Run the four steps over ``fileset`` ``repeat`` times, interleaved; keep the medians."""
    result = SetResult(fileset.name, fileset.files, fileset.bytes)
    src = quote(fileset.root)
    copy_target = work / f"copy-{fileset.name}"
    data_dir = work / f"data-{fileset.name}"
    commands = {
        "cp+sync": f"cp -r {src} {quote(copy_target)} && sync",
        "sha256sum": f"find {src} -type f -print0 | xargs -0 sha256sum > /dev/null",
        "openssl": f"find {src} -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null",
        "import": f"{quote(vestige_bin())} import {src} --case bench --json > /dev/null",
    }
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(1, repeat + 1):
        for name, command in commands.items():
            env = fresh_instance(data_dir) if name == "import" else None
            os.sync()  # what the previous step left dirty is not this step's bill
            warm(fileset)
            seconds = timed_shell(command, env=env)
            runs[name].append(seconds)
            print(f"  {fileset.name:<6} {name:<10} round {round_number}: {seconds:8.2f} s",
                  flush=True)
            if name == "cp+sync":
                shutil.rmtree(copy_target)
            if name == "import" and env is not None:
                items = items_in_bench(env)
                result.imported_items = items
                if items != fileset.files:
                    print(f"  warning: the import recorded {items} items for {fileset.files} "
                          "files", flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    for name, command in commands.items():
        seconds = statistics.median(runs[name])
        result.steps[name] = Step(
            name, seconds, fileset.bytes / MB / seconds, fileset.files / seconds, command,
            runs[name],
        )
    imported = result.steps["import"].seconds
    for other in ("cp+sync", "sha256sum", "openssl"):
        # Ratio of throughputs: above 1 means the import is faster than the other step.
        result.ratios[f"import/{other}"] = result.steps[other].seconds / imported
    return result


def import_overhead(work: Path) -> float:
    """Wall time of importing two 1 KB files: the command's fixed cost (start-up, workers)."""
    folder = work / "src-tiny"
    folder.mkdir()
    for name in ("a.bin", "b.bin"):
        (folder / name).write_bytes(os.urandom(1024))
    env = fresh_instance(work / "data-tiny")
    seconds = timed_shell(
        f"{quote(vestige_bin())} import {quote(folder)} --case bench --json > /dev/null", env=env
    )
    shutil.rmtree(work / "data-tiny")
    return seconds


def command_output(args: list[str]) -> str:
    """A command's output, or an empty string when it cannot run."""
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine(disk_of: Path) -> dict[str, Any]:
    """What the figures were measured on."""
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    df = command_output(["df", "-hT", str(disk_of)]).splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "disk": df[-1] if df else "",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "commit": command_output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "workers": os.environ.get("VESTIGE_IMPORT_WORKERS") or f"{os.cpu_count()} (cores)",
    }


def print_table(results: list[SetResult]) -> None:
    """The figures as a table on standard output."""
    print()
    header = ("set", "step", "seconds", "MB/s", "files/s", "import ratio")
    print("{:<6} {:<10} {:>9} {:>9} {:>10} {:>13}".format(*header))
    for result in results:
        print(f"{result.name} — {result.files:,} files, {result.bytes / MB:,.0f} MB")
        for name, step in result.steps.items():
            ratio = result.ratios.get(f"import/{name}")
            shown = f"{ratio:.2f}x" if ratio is not None else ""
            print(
                f"{'':<6} {name:<10} {step.seconds:9.2f} {step.mb_per_s:9.1f} "
                f"{step.files_per_s:10.1f} {shown:>13}"
            )
    print()
    print("seconds: the median of the rounds; import ratio = the import's throughput divided by")
    print("the step's (1.00x: as fast, higher: faster).")


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, report; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 MB and 2,000 small files")
    parser.add_argument("--large-mb", type=int, default=None, help="size of the large set in MB")
    parser.add_argument("--small-files", type=int, default=None, help="files in the small set")
    parser.add_argument("--seed", type=int, default=20240601, help="seed for the file sizes")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of every step (interleaved); the median is reported")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    large_mb = args.large_mb or (100 if args.quick else 1000)
    small_files = args.small_files or (2_000 if args.quick else 20_000)
    if not shutil.which("openssl") or not shutil.which("sha256sum"):
        sys.exit("bench: needs openssl and sha256sum (coreutils)")

    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d-%H%M%S")
    work = RESULTS / "tmp" / f"run-{stamp}"
    work.mkdir(parents=True)
    rng = random.Random(args.seed)
    results: list[SetResult] = []
    try:
        print(f"bench: generating {large_mb} MB of large files and {small_files:,} small files "
              f"in {work}", flush=True)
        started = time.perf_counter()
        sets = [
            generate_large(work / "src-large", large_mb * MB, rng),
            generate_small(work / "src-small", small_files, rng),
        ]
        os.sync()  # the generated files reach the disk before anything is measured
        print(f"bench: generated in {time.perf_counter() - started:.1f} s", flush=True)
        overhead = import_overhead(work)
        print(f"bench: importing two 1 KB files takes {overhead:.2f} s (fixed cost)", flush=True)
        for fileset in sets:
            results.append(measure(fileset, work, max(args.repeat, 1)))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print_table(results)
    document = {
        "benchmark": "import",
        "date": stamp,
        "quick": args.quick,
        "machine": machine(REPO),
        "settings": {"large_mb": large_mb, "small_files": small_files, "seed": args.seed,
                     "repeat": args.repeat},
        "import_fixed_cost_s": overhead,
        "sets": [asdict(r) for r in results],
        "goal": {"import/cp+sync on the large set": GOAL_RATIO},
    }
    large = next(r for r in results if r.name == "large")
    ratio = large.ratios["import/cp+sync"]
    document["goal_met"] = ratio >= GOAL_RATIO
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"import-{stamp}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    verdict = "meets" if ratio >= GOAL_RATIO else "is BELOW"
    print(f"large set: import/cp+sync = {ratio:.2f}x, which {verdict} the goal of {GOAL_RATIO}x")
    print(f"wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
