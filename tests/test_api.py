"""The Python API for other planners: load, solve, typed results, threads, no printing."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import edgeopt_solve
from edgeopt_solve import InvalidInstanceError, Result, Status, registry

INSTANCES = Path(__file__).resolve().parents[1] / "instances"


@pytest.mark.parametrize("name", registry.names())
def test_load_and_solve_a_bundled_instance(name: str, capfd: pytest.CaptureFixture) -> None:
    loaded = edgeopt_solve.load(INSTANCES / name / "demo.json")
    assert loaded.formulation == name
    result = edgeopt_solve.solve(loaded, time_limit=30, seed=0)
    assert isinstance(result, Result) and result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert result.method == registry.default_method(loaded.module)
    direct = loaded.module.solve(loaded.instance, result.method, time_limit=30, seed=0)
    assert math.isclose(direct.objective, result.objective, rel_tol=1e-9)
    out, err = capfd.readouterr()
    assert out == "" and err == "", "library code never prints"


def test_solve_rejects_a_non_instance() -> None:
    with pytest.raises(InvalidInstanceError):
        edgeopt_solve.solve({"not": "an instance"})


@pytest.mark.parametrize("name", registry.names())
def test_solving_from_several_threads_gives_the_sequential_answers(name: str) -> None:
    module = registry.get(name)
    instances = [module.generate(5, seed) for seed in range(4)]
    method = registry.default_method(module)
    sequential = [module.solve(inst, method, seed=1).objective for inst in instances]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda inst: module.solve(inst, method, seed=1).objective,
                                 instances))
    assert parallel == pytest.approx(sequential, rel=1e-9)
