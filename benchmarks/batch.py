"""A 500-run sweep locally and on a Dask LocalCluster: same rows, and the wall times.

Usage: ``python benchmarks/batch.py [--quick]`` (quick: 100 runs). Prints the run count,
wall time of each backend, and how many rows differ (status or objective); the methods
chosen are deterministic, so the answer must be 0.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
import time
from pathlib import Path

from edgeopt_solve import batch

METHODS = ["cpsat", "johnson", "sslf", "sqlf", "dispatch"]


def rows(path: Path) -> dict[str, tuple[str, float | None]]:
    with open(path, newline="") as fh:
        return {r["key"]: (r["status"], float(r["objective"]) if r["objective"] else None)
                for r in csv.DictReader(fh)}


def same(a: tuple[str, float | None], b: tuple[str, float | None]) -> bool:
    if a[0] != b[0]:
        return False
    if a[1] is None or b[1] is None:
        return a[1] is b[1]
    return math.isclose(a[1], b[1], rel_tol=1e-9, abs_tol=1e-9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seeds = range(4) if args.quick else range(20)
    runs = [batch.Run("lavea", m, s, 30.0, size=n)
            for n in range(4, 9) for s in seeds for m in METHODS]
    tmp = Path(tempfile.mkdtemp(prefix="edgeopt-batch-"))
    t0 = time.perf_counter()
    batch.run_sweep(runs, tmp / "local.csv", workers=2)
    t_local = time.perf_counter() - t0
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        t0 = time.perf_counter()
        batch.run_sweep(runs, tmp / "dask.csv", scheduler=cluster.scheduler_address)
        t_dask = time.perf_counter() - t0
    a, b = rows(tmp / "local.csv"), rows(tmp / "dask.csv")
    differ = sum(not same(a[k], b.get(k, ("missing", None))) for k in a)
    errors = sum(s == "error" for s, _ in a.values())
    print(f"{'runs':>8} {'local (s)':>10} {'dask (s)':>10} {'rows local':>11} {'rows dask':>10} "
          f"{'differ':>7} {'errors':>7}")
    print(f"{len(runs):>8} {t_local:>10.1f} {t_dask:>10.1f} {len(a):>11} {len(b):>10} "
          f"{differ:>7} {errors:>7}")
    return 0 if differ == 0 and len(a) == len(b) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
