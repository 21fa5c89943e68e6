"""Print every formulation's benchmark table in one run.

Usage: ``python benchmarks/run_all.py [--quick]``. Each ``benchmarks/<name>.py`` prints
its own side-by-side table (ours vs the published method vs the optimum vs a general
solver); this script runs them one after another on this machine and reports any that
failed. Ratios, not absolute times, are what we track between machines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (about a minute each)")
    parser.add_argument("only", nargs="*", help="benchmark names (default: all)")
    args = parser.parse_args()
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    failed = []
    for script in scripts:
        print(f"\n=== {script.stem} " + "=" * max(0, 70 - len(script.stem)), flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        code = subprocess.call(cmd)
        print(f"--- {script.stem}: exit {code}, {time.perf_counter() - t0:.1f} s", flush=True)
        if code:
            failed.append(script.stem)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
