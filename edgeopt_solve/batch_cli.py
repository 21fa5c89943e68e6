"""``edgeopt-solve batch``: run a sweep with a progress bar (done, failed, ETA)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from edgeopt_solve import batch
from edgeopt_solve.exceptions import EdgeOptError, InvalidInstanceError
from edgeopt_solve.protocol import check_time_limit

err = Console(stderr=True, highlight=False)


def batch_command(
    sweep: Annotated[str, typer.Argument(help="A glob of instance files, or a .toml sweep file.")],
    out: Annotated[Path, typer.Option("--out", help="Results CSV (Parquet copy beside it).")] = Path(
        "results.csv"),
    methods: Annotated[str | None, typer.Option(help="Comma-separated methods (glob mode).")] = None,
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds (glob mode).")] = "0",
    time_limit: Annotated[float | None, typer.Option("--time-limit", "-t")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Concurrent local runs.")] = 2,
    scheduler: Annotated[str | None, typer.Option(
        help="dask.distributed scheduler address, e.g. tcp://10.0.0.5:8786.")] = None,
) -> None:
    """Run every (instance, method, seed) of a sweep; restartable, one row per run."""
    try:
        check_time_limit(time_limit)
        runs = _runs(sweep, methods, seeds, time_limit)
    except InvalidInstanceError as exc:
        err.print(f"error: {exc.one_line()}", markup=False)
        raise typer.Exit(2) from None
    done = batch.ResultsFile(out).keys()
    todo = sum(1 for r in {r.key: r for r in runs}.values() if r.key not in done)
    failed = 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("failed {task.fields[failed]}"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("runs", total=todo, failed=0)

        def on_row(row: dict[str, Any]) -> None:
            nonlocal failed
            failed += bool(row.get("error"))
            progress.update(task, advance=1, failed=failed)

        try:
            batch.run_sweep(runs, out, workers=workers, scheduler=scheduler, on_row=on_row)
        except EdgeOptError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
    err.print(f"{todo} runs executed ({len(runs) - todo} already in {out}), {failed} failed; "
              f"results in {out} and {out.with_suffix('.parquet')}")
    raise typer.Exit(0)


def _runs(sweep: str, methods: str | None, seeds: str, time_limit: float | None) -> list[Any]:
    if sweep.endswith(".toml"):
        return batch.runs_from_toml(sweep)
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise InvalidInstanceError(f"seeds must be integers, got {seeds!r}",
                                   field="--seeds") from None
    names = [m.strip() for m in methods.split(",")] if methods else None
    return batch.runs_from_glob(sweep, names, seed_list, time_limit)


def register(app: typer.Typer) -> None:
    """Add ``batch`` to the CLI."""
    app.command("batch")(batch_command)
