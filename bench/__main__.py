"""``python -m bench [--smoke] [--json PATH] [--only NAME,...] [--strict]``.

Runs the benchmarks, prints a table (each figure beside its goal, PASS/MISS) and writes
JSON to ``bench/results/latest.json`` (or ``--json PATH``). Exits 1 when a benchmark
crashed, 0 otherwise (``--strict``: also 1 when a goal was missed).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from bench.report import Report, machine

BENCHES = {
    "crawl": "bench.crawl",
    "ingest": "bench.ingest",
    "search": "bench.search",
    "memory": "bench.memory",
    "listdiff": "bench.listdiff",
    "watch": "bench.watch",
}
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--smoke", action="store_true", help="tiny inputs: check the suite runs (~10 s)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write JSON ({DEFAULT_JSON})")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHES)}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()] or list(BENCHES)
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    report = Report(smoke=args.smoke)
    info = machine()
    print(f"releasewatch benchmarks{' (smoke: tiny inputs, figures mean nothing)' if args.smoke else ''}"
          f" on {info['nproc']} x {info['cpu']}, Python {info['python']}, SQLite {info['sqlite']}",
          flush=True)
    started = time.perf_counter()
    for name in chosen:
        t0 = time.perf_counter()
        print(f"  {name} ...", end="", flush=True)
        try:
            importlib.import_module(BENCHES[name]).run(report, args.smoke)
            print(f" {time.perf_counter() - t0:.1f}s", flush=True)
        except Exception:  # a crashed benchmark is reported, the others still run
            report.errors[name] = traceback.format_exc()
            print(" CRASHED", flush=True)
            print(report.errors[name], file=sys.stderr)
    report.details["elapsed_s"] = round(time.perf_counter() - started, 1)
    print()
    print(report.table())
    report.write_json(args.json)
    print(f"\n{report.details['elapsed_s']} s; JSON: {args.json}")
    if report.errors:
        return 1
    if args.strict and any(f.passed is False for f in report.figures):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
