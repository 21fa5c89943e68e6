"""Batch runs: local processes, a real Dask LocalCluster, restart after a kill, crashes."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgeopt_solve import batch, registry

NAME = "client_selection" if "client_selection" in registry.names() else registry.names()[0]


def sweep(n_sizes: int = 3, seeds: int = 4, time_limit: float = 10.0) -> list[batch.Run]:
    module = registry.get(NAME)
    methods = list(module.METHODS)[:3]
    return [batch.Run(NAME, m, s, time_limit, size=4 + k)
            for k in range(n_sizes) for s in range(seeds) for m in methods]


def by_key(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {r["key"]: r for r in csv.DictReader(fh)}


def comparable(row: dict[str, str]) -> tuple:
    return (row["status"], row["objective"], row["bound"], row["error"])


def test_local_sweep_is_complete_and_restartable(tmp_path: Path) -> None:
    runs = sweep()
    out = tmp_path / "r.csv"
    assert batch.run_sweep(runs, out, workers=2) == len(runs)
    rows = by_key(out)
    assert set(rows) == {r.key for r in runs}
    assert all(r["status"] in ("optimal", "feasible") and not r["error"] for r in rows.values())
    assert all(r["gap_to_best"] != "" for r in rows.values())
    assert (tmp_path / "r.parquet").exists()
    assert batch.run_sweep(runs, out, workers=2) == 0  # nothing left to do
    assert len(by_key(out)) == len(runs)


def test_dask_local_cluster_gives_identical_rows(tmp_path: Path) -> None:
    from distributed import LocalCluster

    runs = sweep(n_sizes=2, seeds=3)
    local, remote = tmp_path / "local.csv", tmp_path / "dask.csv"
    batch.run_sweep(runs, local, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        batch.run_sweep(runs, remote, scheduler=cluster.scheduler_address)
    a, b = by_key(local), by_key(remote)
    assert set(a) == set(b)
    assert {k: comparable(v) for k, v in a.items()} == {k: comparable(v) for k, v in b.items()}


def test_crash_and_timeout_become_error_rows(tmp_path: Path, monkeypatch) -> None:
    runs = [batch.Run(NAME, "no-such-method", 0, 5.0, size=4),
            batch.Run("no_such_formulation", "x", 0, 5.0, size=4),
            batch.Run(NAME, next(iter(registry.get(NAME).METHODS)), 0, 5.0, path="/nonexistent.json")]
    out = tmp_path / "e.csv"
    batch.run_sweep(runs, out, workers=2)
    rows = by_key(out)
    assert len(rows) == 3 and all(r["status"] == "error" and r["error"] for r in rows.values())


def test_killed_child_is_an_error_row(tmp_path: Path, monkeypatch) -> None:
    run = batch.Run(NAME, next(iter(registry.get(NAME).METHODS)), 0, 0.01, size=4)
    monkeypatch.setattr(batch, "KILL_GRACE", 0.0)
    monkeypatch.setattr(batch, "_child", _sleep_forever)
    row = batch.execute_isolated(run)
    assert row["status"] == "error" and "killed" in row["error"]


def _sleep_forever(run, conn) -> None:  # replaces the worker body: a hung run
    time.sleep(3600)


def test_sweep_killed_half_way_then_restarted(tmp_path: Path) -> None:
    out = tmp_path / "k.csv"
    toml = tmp_path / "sweep.toml"
    methods = list(registry.get(NAME).METHODS)[:2]
    toml.write_text(f'formulation = "{NAME}"\nsizes = [4, 5, 6]\nseeds = [0, 1, 2, 3]\n'
                    f"methods = {methods!r}\ntime_limit = 10.0\n".replace("'", '"'))
    total = 3 * 4 * len(methods)
    exe = Path(sys.executable).with_name("edgeopt-solve")
    proc = subprocess.Popen([str(exe), "batch", str(toml), "--out", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if out.exists() and out.read_text().count("\n") >= 4:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = by_key(out)
    assert 0 < len(partial) < total
    res = subprocess.run([str(exe), "batch", str(toml), "--out", str(out)], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    rows = by_key(out)
    assert len(rows) == total
    with open(out) as fh:
        assert sum(1 for _ in fh) == total + 1  # no duplicated rows
    for key, row in partial.items():
        assert comparable(rows[key]) == comparable(row)


def test_bad_sweep_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from edgeopt_solve.cli import app

    toml = tmp_path / "bad.toml"
    toml.write_text('formulation = "placement"\nsizes = "many"\n')
    res = CliRunner().invoke(app, ["batch", str(toml), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "sizes" in res.output
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("pattern", ["/nonexistent/*.json"])
def test_glob_matching_nothing(tmp_path: Path, pattern: str) -> None:
    from typer.testing import CliRunner

    from edgeopt_solve.cli import app

    res = CliRunner().invoke(app, ["batch", pattern, "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and "no file matches" in res.output
