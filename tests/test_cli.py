"""The ``edgeopt-solve`` command line: outputs, JSON shapes, exit codes, limits, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgeopt_solve import registry
from edgeopt_solve.cli import app

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
SHARED_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"

runner = CliRunner()
SOLVER_LIBRARIES = ("highspy", "ortools", "cvxpy", "pyomo", "onnxruntime", "clarabel", "dask")


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_list_json_shape() -> None:
    res = run("list", "--json")
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert {f["name"] for f in data} == set(registry.names())
    for f in data:
        assert f["sense"] in ("min", "max")
        assert f["methods"] and all({"name", "exact", "reference"} <= set(m) for m in f["methods"])


def test_list_imports_no_solver_library() -> None:
    code = ("import sys; from edgeopt_solve.cli import app; from typer.testing import CliRunner;"
            "r = CliRunner().invoke(app, ['list']); assert r.exit_code == 0, r.output;"
            f"print([m for m in {SOLVER_LIBRARIES!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("name", registry.names())
def test_schema_is_json_schema(name: str) -> None:
    res = run("schema", name)
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert schema["properties"]["formulation"] == {"const": name}
    assert schema["properties"]["data"]["type"] == "object"


@pytest.mark.parametrize("name", registry.names())
def test_generate_solve_verify_round_trip(tmp_path: Path, name: str) -> None:
    inst = tmp_path / "inst.json"
    assert run("generate", name, "--size", "5", "--seed", "2", "--out", str(inst)).exit_code == 0
    res = run("solve", str(inst), "--json", "--out", str(tmp_path / "sol"))
    assert res.exit_code in (0, 3), res.output
    body = json.loads(res.stdout.splitlines()[0])
    assert body["formulation"] == name and body["instance"]["hash"]
    if body["status"] in ("optimal", "feasible"):
        sol = next((tmp_path / "sol").glob("*.solution.json"))
        check = run("verify", str(inst), str(sol), "--json")
        assert check.exit_code == 0
        verdict = json.loads(check.stdout)
        assert verdict["feasible"] and verdict["objective"] == pytest.approx(body["objective"])


def test_compare_json_shape() -> None:
    name = registry.names()[0]
    path = INSTANCES / name / "demo.json"
    res = run("compare", str(path), "--json", "--time-limit", "10")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["instance"]
    keys = {"method", "exact", "status", "objective", "bound", "gap", "runtime", "limit"}
    assert data["results"] and all(keys <= set(r) for r in data["results"])


def test_demo_solves_every_formulation() -> None:
    res = run("demo", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["formulation"] for r in rows} == set(registry.names())
    for r in rows:
        assert r["status"] in ("optimal", "feasible")
        assert (INSTANCES / r["formulation"] / "demo.json").exists()


@pytest.mark.parametrize("name", registry.names())
def test_bundled_instances_reach_their_expected_optimum(name: str) -> None:
    for path in sorted((INSTANCES / name).glob("*.json")):
        raw = json.loads(path.read_text())
        if "expected" not in raw:
            continue
        method = raw["expected"].get("method") or registry.default_method(registry.get(name))
        res = run("solve", str(path), "--json", "--time-limit", "60", "--method", method)
        body = json.loads(res.stdout.splitlines()[0])
        assert body["status"] == "optimal", (path, body["status"])
        assert body["objective"] == pytest.approx(raw["expected"]["objective"], rel=1e-6), path


def cli(*args: str, **kw) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("edgeopt-solve")
    return subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


HARD = SHARED_BENCHMARKS / "gap" / "d05100"


@pytest.mark.skipif(not HARD.exists(), reason="shared benchmarks not beside the project")
def test_time_limit_is_honoured_within_ten_percent() -> None:
    t0 = time.perf_counter()
    proc = cli("solve", str(HARD), "--format", "orlib-gap", "--method", "milp",
               "--time-limit", "3", "--json")
    out, errs = proc.communicate(timeout=60)
    wall = time.perf_counter() - t0
    body = json.loads(out.splitlines()[0])
    assert proc.returncode == 0, errs
    assert body["status"] == "feasible" and body["limit"] == "time"
    assert body["runtime"] <= 3.3
    assert body["bound"] is not None and body["gap"] > 0
    assert wall < 3.3 + 8  # process start-up and imports on a loaded 2-core machine


@pytest.mark.skipif(not HARD.exists(), reason="shared benchmarks not beside the project")
def test_ctrl_c_returns_the_incumbent() -> None:
    proc = cli("solve", str(HARD), "--format", "orlib-gap", "--method", "milp",
               "--time-limit", "120", "--json", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "solving d05100" in proc.stderr.readline()  # imports done, solver starting
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, errs = proc.communicate(timeout=60)
    body = json.loads(out.splitlines()[0])
    assert proc.returncode == 0, errs
    assert body["limit"] == "interrupted" and body["status"] == "feasible"
    assert body["runtime"] < 30
    assert "interrupted" in errs


@pytest.mark.parametrize("name", registry.names())
def test_solve_plot_writes_a_picture(tmp_path: Path, name: str) -> None:
    png = tmp_path / "plan.png"
    res = run("solve", str(INSTANCES / name / "demo.json"), "--plot", str(png))
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
