"""``edgeopt-solve``: solve, verify and compare instance files from the command line.

Exit codes: 0 solved (optimal or feasible), 1 internal error, 2 bad input or usage,
3 infeasible (or, for ``verify``, a solution that violates a constraint), 4 no solution
within the limits. Bad input prints one line naming the file and field, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from edgeopt_solve import io, registry
from edgeopt_solve.context import StopToken
from edgeopt_solve.exceptions import EdgeOptError, InvalidInstanceError
from edgeopt_solve.protocol import check_time_limit, lookup_method
from edgeopt_solve.result import Result
from edgeopt_solve.status import Status

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Optimization and scheduling solvers for edge intelligence.")
# Tables keep a readable width when piped (rich would squeeze them to 80 columns).
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 132)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
_SEVERITY = [EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_OK]
DEMO_DIR = Path(__file__).resolve().parents[1] / "instances"

T = TypeVar("T")

MethodOpt = Annotated[str | None, typer.Option("--method", "-m", help="Method (see `list`).")]
TimeOpt = Annotated[float | None, typer.Option("--time-limit", "-t", help="Seconds per solve.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="Input format: json, orlib-gap, tsplib, onnx (default: detected).")]


def exit_code(status: Status) -> int:
    """The process exit code for a result status."""
    if status.has_solution:
        return EXIT_OK
    if status in (Status.INFEASIBLE, Status.UNBOUNDED):
        return EXIT_INFEASIBLE
    if status is Status.NO_SOLUTION:
        return EXIT_NO_SOLUTION
    return EXIT_INTERNAL


def worst(codes: list[int]) -> int:
    """The most severe of several exit codes."""
    return min(codes, key=_SEVERITY.index) if codes else EXIT_OK


def fail(exc: EdgeOptError | str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print one error line and return the ``typer.Exit`` to raise."""
    text = exc.one_line() if isinstance(exc, InvalidInstanceError) else str(exc)
    err.print(f"error: {text}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def interruptible(func: Callable[[StopToken], T]) -> T:
    """Run ``func(stop)`` in a worker thread; Ctrl-C asks it to stop and waits for it.

    Exact solvers then return their incumbent with ``Limit.INTERRUPTED``; a second
    Ctrl-C abandons the run.
    """
    stop = StopToken()
    box: dict[str, Any] = {}
    finished = threading.Event()  # not Thread.join: Ctrl-C inside join() corrupts is_alive()

    def work() -> None:
        try:
            box["value"] = func(stop)
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="edgeopt-solve", daemon=True).start()
    try:
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        err.print("interrupted: stopping the solver, keeping its incumbent (Ctrl-C again to abort)")
        stop.request_stop()
        while not finished.wait(0.1):
            pass
    if "error" in box:
        raise box["error"]
    return box["value"]


def load_or_exit(path: str, fmt: str | None) -> io.LoadedInstance:
    """Load an instance file; bad input becomes one line and exit 2."""
    try:
        return io.load(path, format=fmt)
    except InvalidInstanceError as exc:
        raise fail(exc) from None


@app.command("list")
def list_cmd(as_json: JsonOpt = False) -> None:
    """List formulations and their methods (exact or heuristic, source paper)."""
    infos = [registry.describe(name) for name in registry.names()]
    if as_json:
        payload = [{"name": f.name, "sense": f.sense, "default_method": f.default_method,
                    "methods": [{"name": m.name, "exact": m.exact, "reference": m.reference}
                                for m in f.methods]} for f in infos]
        out.print_json(json.dumps(payload)) if sys.stdout.isatty() else print(json.dumps(payload))
        return
    table = Table("formulation", "sense", "method", "kind", "reference", show_lines=False)
    for f in infos:
        for i, m in enumerate(f.methods):
            mark = " (default)" if m.name == f.default_method else ""
            table.add_row(f.name if i == 0 else "", f.sense if i == 0 else "", m.name + mark,
                          "exact" if m.exact else "heuristic", m.reference)
    out.print(table)


@app.command()
def schema(name: Annotated[str, typer.Argument(help="Formulation name.")]) -> None:
    """Print the JSON Schema of a formulation's instance files."""
    try:
        module = registry.get(name)
    except InvalidInstanceError as exc:
        raise fail(exc) from None
    data = module.Instance.json_schema()
    envelope = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"edgeopt {name} instance",
        "type": "object",
        "required": ["formulation", "version", "data"],
        "additionalProperties": False,
        "properties": {
            "formulation": {"const": name}, "version": {"const": io.FORMAT_VERSION},
            "name": {"type": "string"}, "description": {"type": "string"},
            "expected": {"type": "object", "properties": {"objective": {"type": "number"},
                                                          "source": {"type": "string"},
                                                          "method": {"type": "string"}}},
            "data": data,
        },
    }
    print(json.dumps(envelope, indent=2))


@app.command()
def solve(
    files: Annotated[list[str], typer.Argument(help="Instance files.")],
    method: MethodOpt = None, time_limit: TimeOpt = None, seed: SeedOpt = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write solution files here.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Save a picture (one file).")] = None,
    fmt: FormatOpt = None, as_json: JsonOpt = False,
) -> None:
    """Solve instance files; print one line (or JSON object) per file."""
    try:
        check_time_limit(time_limit)
    except InvalidInstanceError as exc:
        raise fail(exc) from None
    if plot is not None and len(files) != 1:
        raise fail("--plot takes exactly one instance file")
    loaded = [load_or_exit(f, fmt) for f in files]  # all inputs checked before any solve
    for item in loaded:
        _check_method(item, method)
    codes = []
    for item in loaded:
        result = _solve_one(item, method, time_limit, seed)
        body = io.solution_envelope(item, result)
        if out_dir is not None and result.solution is not None:
            io.write_json_atomic(out_dir / f"{item.name}.{result.method}.solution.json", body)
        if plot is not None and result.solution is not None:
            _save_plot(item, result, plot)
        if as_json:
            print(json.dumps(body, allow_nan=False))
        else:
            _print_result(item, result)
        codes.append(exit_code(result.status))
    raise typer.Exit(worst(codes))


def _check_method(item: io.LoadedInstance, method: str | None) -> None:
    if method is None:
        return
    try:
        lookup_method(item.module, method)
    except InvalidInstanceError as exc:
        raise fail(exc.located(source=item.source)) from None


def _solve_one(item: io.LoadedInstance, method: str | None, time_limit: float | None,
               seed: int) -> Result:
    from edgeopt_solve.protocol import run_method

    module = item.module
    name = method or registry.default_method(module)
    limit = "no time limit" if time_limit is None else f"time limit {time_limit:g} s"
    err.print(f"solving {item.name} [{item.formulation}] with {name} ({limit}; Ctrl-C stops "
              "with the incumbent)", markup=False)
    try:
        return interruptible(lambda stop: run_method(
            module, item.instance, name, time_limit=time_limit, seed=seed, stop=stop))
    except InvalidInstanceError as exc:
        raise fail(exc.located(source=item.source)) from None
    except EdgeOptError as exc:
        raise fail(f"{item.source}: {exc}", EXIT_INTERNAL) from None


def _print_result(item: io.LoadedInstance, result: Result) -> None:
    out.print(f"{item.name} [{item.formulation}] {result.summary()}", markup=False)
    if result.message:
        out.print(f"  {result.message}", markup=False)
    if item.expected is not None and result.objective is not None:
        out.print(f"  expected optimum {item.expected:.6g}", markup=False)


def _save_plot(item: io.LoadedInstance, result: Result, path: Path) -> None:
    plot_fn = getattr(item.module, "plot", None)
    if plot_fn is None:
        err.print(f"note: {item.formulation} has no plot; {path} not written")
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    plot_fn(item.instance, result.solution, ax)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


@app.command()
def verify(
    instance: Annotated[str, typer.Argument(help="Instance file.")],
    solution: Annotated[str, typer.Argument(help="Solution file written by `solve --out`.")],
    fmt: FormatOpt = None, as_json: JsonOpt = False,
) -> None:
    """Check a solution file against its instance independently (exit 3 if infeasible)."""
    item = load_or_exit(instance, fmt)
    try:
        sol = io.load_solution(solution, item)
    except InvalidInstanceError as exc:
        raise fail(exc) from None
    violations = item.module.verify(item.instance, sol)
    objective = None if violations else float(item.module.objective(item.instance, sol))
    if as_json:
        print(json.dumps({"feasible": not violations, "objective": objective,
                          "violations": [str(v) for v in violations]}))
    elif violations:
        for v in violations:
            out.print(f"violated: {v}", markup=False)
    else:
        out.print(f"feasible; objective {objective:.10g}", markup=False)
    raise typer.Exit(EXIT_INFEASIBLE if violations else EXIT_OK)


@app.command()
def compare(
    file: Annotated[str, typer.Argument(help="Instance file.")],
    methods: Annotated[str | None, typer.Option(help="Comma-separated methods (default all).")] = None,
    time_limit: TimeOpt = None, seed: SeedOpt = 0, fmt: FormatOpt = None, as_json: JsonOpt = False,
) -> None:
    """Run several methods side by side: status, objective, bound, gap to the best bound, time."""
    from edgeopt_solve.compare import compare as run_compare

    try:
        check_time_limit(time_limit)
    except InvalidInstanceError as exc:
        raise fail(exc) from None
    item = load_or_exit(file, fmt)
    names = list(item.module.METHODS) if not methods else [m.strip() for m in methods.split(",")]
    for name in names:
        _check_method(item, name)
    rows = interruptible(lambda stop: run_compare(item.module, item.instance, names,
                                                  time_limit=time_limit, seed=seed, stop=stop))
    if as_json:
        print(json.dumps({"instance": item.name, "results": [r.to_dict() for r in rows]},
                         allow_nan=False))
    else:
        out.print(_compare_table(item.name, rows))
    codes = [exit_code(r.result.status) if r.result else EXIT_INTERNAL for r in rows]
    raise typer.Exit(EXIT_OK if EXIT_OK in codes else worst(codes))


def _compare_table(title: str, rows: list[Any]) -> Table:
    table = Table("method", "kind", "status", "objective", "bound", "gap to best", "time (s)",
                  title=title)
    for row in rows:
        d = row.to_dict()
        table.add_row(row.method, "exact" if row.exact else "heuristic",
                      d["status"] + (f" ({d['limit']})" if d["limit"] else ""),
                      _num(d["objective"]), _num(d["bound"]),
                      "-" if d["gap"] is None else f"{100 * d['gap']:.3f}%",
                      "-" if d["runtime"] is None else f"{d['runtime']:.3f}")
    return table


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


@app.command()
def generate(
    formulation: Annotated[str, typer.Argument(help="Formulation name.")],
    size: Annotated[int, typer.Option("--size", min=1, help="Instance size.")] = 10,
    seed: SeedOpt = 0,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write here (else stdout).")] = None,
) -> None:
    """Generate a random instance file."""
    try:
        module = registry.get(formulation)
    except InvalidInstanceError as exc:
        raise fail(exc) from None
    inst = module.generate(size, seed)
    env = io.instance_envelope(module, inst, f"{formulation}-n{size}-s{seed}",
                               description=f"generate(size={size}, seed={seed})")
    if out_file is None:
        print(json.dumps(env, indent=2))
    else:
        io.write_json_atomic(out_file, env)
        err.print(f"wrote {out_file}")


@app.command()
def demo(time_limit: TimeOpt = 30.0, as_json: JsonOpt = False) -> None:
    """Solve the bundled demo instance of every formulation and print the table."""
    table = Table("formulation", "instance", "method", "status", "objective", "expected",
                  "time (s)", title="edgeopt demo")
    payload, codes = [], []
    for name in registry.names():
        path = DEMO_DIR / name / "demo.json"
        if path.exists():
            item = load_or_exit(str(path), None)
        else:
            module = registry.get(name)
            inst = module.generate(6, 0)
            item = io.LoadedInstance(name, "generated-6", inst, "generate(6, 0)",
                                     io.canonical_hash(inst.to_dict()))
        result = _solve_one(item, None, time_limit, 0)
        codes.append(exit_code(result.status))
        payload.append(io.solution_envelope(item, result))
        table.add_row(name, item.name, result.method,
                      result.status.value + (f" ({result.limit.value})" if result.limit else ""),
                      _num(result.objective), _num(item.expected), f"{result.runtime:.3f}")
    if as_json:
        print(json.dumps(payload, allow_nan=False))
    else:
        out.print(table)
    raise typer.Exit(worst(codes))


def _register_plugins() -> None:
    """Commands that live with their subsystem (cost model, batch runs)."""
    for module_name in ("edgeopt_solve.costmodel.cli", "edgeopt_solve.batch_cli"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ImportError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(app)


_register_plugins()


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        err.print("aborted")
        sys.exit(130)
    except EdgeOptError as exc:  # a bug or backend failure: one line, exit 1
        err.print(f"error: {exc}", markup=False)
        sys.exit(EXIT_INTERNAL)
    except Exception as exc:  # a bug: one line, the traceback on request
        if os.environ.get("EDGEOPT_DEBUG"):
            raise
        err.print(f"internal error: {type(exc).__name__}: {exc} "
                  "(set EDGEOPT_DEBUG=1 for the traceback)", markup=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
