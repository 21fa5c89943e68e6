"""Many (instance, method, seed) runs, locally or on a Dask cluster, into one results file.

A *sweep* is a list of :class:`Run` s, from a glob of instance files or a TOML sweep
file::

    formulation = "placement"
    sizes = [5, 10, 20]          # generate(size, seed) instances ...
    seeds = [0, 1, 2]            # ... one per seed; the seed also seeds the method
    methods = ["milp", "greedy", "tabu"]
    time_limit = 5.0
    files = ["instances/placement/*.json"]   # optional: files too

Every run executes in its own child process (forked from a preloaded server), so a run
that crashes or hangs past its deadline is killed and yields a row with the error,
never a lost row. Rows are appended to a CSV file one line per ``write`` on an
``O_APPEND`` descriptor, so a killed sweep leaves only whole rows; a restarted sweep
skips the runs already there. :func:`finalize` adds each row's gap to the best bound
known for its instance and writes a Parquet copy.

With ``scheduler="tcp://host:port"`` the same runs go to an existing
``dask.distributed`` cluster; each task runs :func:`execute` exactly as a local worker
does, so the rows are the same.
"""

from __future__ import annotations

import csv
import glob
import io as _io
import math
import multiprocessing
import os
import time
import tomllib
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError

COLUMNS = ["key", "formulation", "instance", "size", "seed", "method", "status", "objective",
           "bound", "gap", "gap_to_best", "expected", "runtime", "error"]
KILL_GRACE = 30.0  # seconds past the time limit before a run is killed


@dataclass(frozen=True)
class Run:
    """One solve of a sweep.

    Attributes
    ----------
    formulation
        Formulation name.
    method
        Method name.
    seed
        Method seed (and instance seed for generated instances).
    time_limit
        Seconds, or ``None``.
    path
        Instance file, or ``None`` for a generated instance.
    size
        ``generate`` size for a generated instance (else ``None``).
    """

    formulation: str
    method: str
    seed: int
    time_limit: float | None = None
    path: str | None = None
    size: int | None = None

    @property
    def instance_id(self) -> str:
        """Stable name of the instance."""
        if self.path is not None:
            return self.path
        return f"{self.formulation}:generate(size={self.size},seed={self.seed})"

    @property
    def key(self) -> str:
        """Unique identity of the run in a results file."""
        return f"{self.instance_id}|{self.method}|{self.seed}"


def runs_from_glob(pattern: str, methods: Iterable[str] | None, seeds: Iterable[int],
                   time_limit: float | None) -> list[Run]:
    """Runs for every file matching ``pattern`` x method x seed (all methods if ``None``)."""
    from edgeopt_solve import io as files

    paths = sorted(glob.glob(pattern, recursive=True))
    if not paths:
        raise InvalidInstanceError(f"no file matches {pattern!r}", field="GLOB")
    runs = []
    for path in paths:
        loaded = files.load(path)
        names = list(methods) if methods else list(loaded.module.METHODS)
        _check_methods(loaded.module, names)
        runs += [Run(loaded.formulation, m, s, time_limit, path=path) for m in names for s in seeds]
    return runs


def runs_from_toml(path: str | Path) -> list[Run]:
    """Runs described by a TOML sweep file (see the module docstring)."""
    from edgeopt_solve import io as files
    from edgeopt_solve import registry

    try:
        spec = tomllib.loads(files.read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInstanceError(f"not valid TOML: {exc}", source=str(path)) from None
    try:
        module = registry.get(_field(spec, "formulation", str, path))
        methods = _field(spec, "methods", list, path, list(module.METHODS))
        _check_methods(module, methods)
        sizes = _field(spec, "sizes", list, path, [])
        seeds = _field(spec, "seeds", list, path, [0])
        limit = _field(spec, "time_limit", (int, float), path, None)
    except InvalidInstanceError as exc:
        raise exc.located(source=str(path)) from None
    runs = [Run(module.NAME, m, int(s), limit, size=int(n))
            for n in sizes for s in seeds for m in methods]
    for pattern in _field(spec, "files", list, path, []):
        runs += runs_from_glob(pattern, methods, seeds, limit)
    return runs


def _field(spec: dict[str, Any], name: str, kind: Any, path: Any, default: Any = ...) -> Any:
    if name not in spec:
        if default is ...:
            raise InvalidInstanceError("missing field", field=name, source=str(path))
        return default
    value = spec[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInstanceError(f"wrong type {type(value).__name__}", field=name,
                                   source=str(path))
    return value


def _check_methods(module: Any, methods: list[str]) -> None:
    from edgeopt_solve.protocol import lookup_method

    for name in methods:
        lookup_method(module, name)


def execute(run: Run) -> dict[str, Any]:
    """Solve one run in this process and return its row (errors become the ``error`` field)."""
    from edgeopt_solve import io as files
    from edgeopt_solve import registry
    from edgeopt_solve.protocol import run_method

    row: dict[str, Any] = {"key": run.key, "formulation": run.formulation,
                           "instance": run.instance_id, "size": run.size, "seed": run.seed,
                           "method": run.method, "status": "error", "error": ""}
    try:
        if run.path is not None:
            loaded = files.load(run.path)
            module, inst, row["expected"] = loaded.module, loaded.instance, loaded.expected
        else:
            module = registry.get(run.formulation)
            inst = module.generate(run.size, run.seed)
        res = run_method(module, inst, run.method, time_limit=run.time_limit, seed=run.seed)
        row.update(status=res.status.value, objective=res.objective, bound=res.bound,
                   gap=res.gap, runtime=res.runtime)
    except Exception as exc:  # a row with the error, never a lost row
        row["error"] = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:500]
    return row


def _child(run: Run, conn: Any) -> None:
    try:
        conn.send(execute(run))
    except BaseException:  # pragma: no cover - reported by the parent as a crash
        conn.send({"error": traceback.format_exc(limit=1)})
    finally:
        conn.close()


#: imported once by the fork server, so each run's child starts warm (solver libraries
#: take about a second to import; a sweep has hundreds of runs)
PRELOAD = ["edgeopt_solve", "edgeopt_solve.protocol", "numpy", "scipy", "highspy",
           "ortools.sat.python.cp_model", "pyomo.environ", "cvxpy"]


def _context(formulation: str | None = None) -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        from edgeopt_solve import registry

        ctx = multiprocessing.get_context("forkserver")
        extra = registry.module_paths().get(formulation or "", None)
        ctx.set_forkserver_preload(PRELOAD + ([extra] if extra else []))
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - non-Linux


def execute_isolated(run: Run) -> dict[str, Any]:
    """Solve one run in a child process; kill it if it outlives its deadline.

    Inside a daemonic process (a Dask worker), which may not have children, the run
    executes in-process instead.
    """
    if multiprocessing.current_process().daemon:
        return execute(run)
    ctx = _context(run.formulation)
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(run, child), daemon=True)
    t0 = time.perf_counter()
    proc.start()
    child.close()
    deadline = None if run.time_limit is None else 2 * run.time_limit + KILL_GRACE
    row = None
    if parent.poll(deadline):
        try:
            row = parent.recv()
        except EOFError:
            row = None
    if row is None and proc.is_alive():  # past its deadline: a hung run
        proc.kill()
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if row is None or "key" not in row:
        what = (f"timed out after {time.perf_counter() - t0:.1f}s and was killed"
                if proc.exitcode in (None, -9) and deadline is not None
                and time.perf_counter() - t0 >= deadline
                else f"worker crashed (exit code {proc.exitcode})")
        row = {"key": run.key, "formulation": run.formulation, "instance": run.instance_id,
               "size": run.size, "seed": run.seed, "method": run.method, "status": "error",
               "error": what}
    return row


class ResultsFile:
    """Append-only CSV of rows, one ``write`` per row; knows which keys it holds."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair()

    def _repair(self) -> None:
        """Drop a partial last line left by a killed writer; write the header if new."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.write_text(",".join(COLUMNS) + "\n")
            return
        data = self.path.read_bytes()
        if not data.endswith(b"\n"):
            with open(self.path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def keys(self) -> set[str]:
        """Keys of the runs already recorded."""
        return {row["key"] for row in self.rows()}

    def rows(self) -> list[dict[str, str]]:
        """Every recorded row (strings, as in the file)."""
        with open(self.path, newline="") as fh:
            return list(csv.DictReader(fh))

    def append(self, row: dict[str, Any]) -> None:
        """Append one row with a single write (whole rows only, even if killed)."""
        buf = _io.StringIO()
        csv.DictWriter(buf, COLUMNS, extrasaction="ignore").writerow(
            {k: _cell(row.get(k)) for k in COLUMNS})
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, buf.getvalue().encode())
            os.fsync(fd)
        finally:
            os.close(fd)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return value


def run_sweep(runs: list[Run], results: str | Path, *, workers: int = 2,
              scheduler: str | None = None,
              on_row: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Execute the runs not yet in ``results``; return how many were executed.

    Parameters
    ----------
    runs
        The sweep.
    results
        CSV results file (created if missing; a Parquet copy is written by
        :func:`finalize`).
    workers
        Concurrent local runs (ignored with a scheduler).
    scheduler
        Address of a ``dask.distributed`` scheduler, or ``None`` for local processes.
    on_row
        Called with each new row (progress bars).
    """
    store = ResultsFile(results)
    done = store.keys()
    pending = list({r.key: r for r in runs if r.key not in done}.values())
    rows = _dask_rows(pending, scheduler) if scheduler else _local_rows(pending, workers)
    count = 0
    for row in rows:
        store.append(row)
        count += 1
        if on_row:
            on_row(row)
    finalize(results)
    return count


def _local_rows(runs: list[Run], workers: int) -> Iterator[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(execute_isolated, run) for run in runs]
        for future in as_completed(futures):
            yield future.result()


def _dask_rows(runs: list[Run], scheduler: str) -> Iterator[dict[str, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover
        from edgeopt_solve.exceptions import SolverUnavailable

        raise SolverUnavailable("pip install 'edgeopt[distributed]' for --scheduler") from exc
    with Client(scheduler) as client:
        futures = {client.submit(execute_isolated, run, pure=False, key=f"run-{i}-{run.key}"): run
                   for i, run in enumerate(runs)}
        for future in dask_completed(futures):
            run = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # KilledWorker and the like: an error row
                yield {**asdict(run), "key": run.key, "instance": run.instance_id,
                       "status": "error", "error": f"{type(exc).__name__}: {exc}"[:500]}


def finalize(results: str | Path) -> list[dict[str, Any]]:
    """Fill ``gap_to_best`` from the best bound per instance; write ``<results>.parquet``."""
    from edgeopt_solve import registry

    store = ResultsFile(results)
    rows = [_typed(r) for r in store.rows()]
    senses: dict[str, str] = {}
    best: dict[str, float] = {}
    for r in rows:
        sense = senses.setdefault(r["formulation"], _sense(registry, r["formulation"]))
        for value in _bounds_of(r):
            old = best.get(r["instance"])
            better = old is None or (value > old if sense == "min" else value < old)
            best[r["instance"]] = value if better else old
    for r in rows:
        b, obj = best.get(r["instance"]), r["objective"]
        r["gap_to_best"] = (None if b is None or obj is None
                            else abs(obj - b) / max(abs(obj), 1e-9))
    rows.sort(key=lambda r: r["key"])
    _rewrite_csv(store.path, rows)
    _write_parquet(store.path.with_suffix(".parquet"), rows)
    return rows


def _sense(registry: Any, name: str) -> str:
    try:
        return registry.get(name).SENSE
    except InvalidInstanceError:
        return "min"


def _bounds_of(row: dict[str, Any]) -> list[float]:
    out = [row["bound"]] if row["bound"] is not None else []
    if row["status"] == "optimal" and row["objective"] is not None:
        out.append(row["objective"])
    if row["expected"] is not None:
        out.append(row["expected"])
    return out


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(row)
    for k in ("objective", "bound", "gap", "gap_to_best", "expected", "runtime"):
        out[k] = float(row[k]) if row.get(k) else None
    for k in ("size", "seed"):
        out[k] = int(float(row[k])) if row.get(k) else None
    return out


def _rewrite_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _cell(r.get(k)) for k in COLUMNS})
    os.replace(tmp, path)


def _write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - optional extra
        return
    table = pa.Table.from_pylist([{k: r.get(k) for k in COLUMNS} for r in rows])
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
