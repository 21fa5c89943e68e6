"""Conformance: every registered formulation honours the protocol of DESIGN.md.

Like scikit-learn's ``check_estimator``: one test suite that each formulation passes
automatically, with no per-formulation code. It checks round trips, determinism, that
every method returns a verified answer whose objective is the evaluator's, that no
heuristic beats a proven optimum, and that exact methods agree with brute force.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from edgeopt_solve import InvalidInstanceError, Status, registry
from edgeopt_solve.io import canonical_hash, instance_envelope, load_envelope
from edgeopt_solve.protocol import Method

SIZES = (4, 6)
SEEDS = (0, 1)
TIME_LIMIT = 10.0


def better(sense: str, a: float, b: float, tol: float = 1e-6) -> bool:
    """Whether ``a`` is strictly better than ``b`` beyond a relative tolerance."""
    slack = tol * max(1.0, abs(b))
    return a < b - slack if sense == "min" else a > b + slack


def test_static_surface(formulation) -> None:
    m = formulation
    assert m.NAME in registry.names()
    assert m.__name__.split(".")[-1] == m.NAME
    assert m.SENSE in ("min", "max")
    assert m.METHODS, "a formulation needs at least one method"
    assert registry.default_method(m) in m.METHODS
    assert any(spec.exact for spec in m.METHODS.values()), "no exact method"
    for name, spec in m.METHODS.items():
        assert isinstance(spec, Method), name
        assert spec.reference.strip(), f"method {name} cites no source"
    for attr in ("Instance", "Solution", "objective", "verify", "generate", "solve"):
        assert hasattr(m, attr), attr
    assert dataclasses.is_dataclass(m.Instance) and m.Instance.__dataclass_params__.frozen
    schema = m.Instance.json_schema()
    assert schema.get("type") == "object" and schema.get("properties")


@pytest.mark.parametrize("seed", SEEDS)
def test_generate_is_deterministic_and_round_trips(formulation, seed: int) -> None:
    m = formulation
    a, b = m.generate(6, seed), m.generate(6, seed)
    assert a == b
    d = a.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert m.Instance.from_dict(json.loads(text)) == a
    assert canonical_hash(d) == canonical_hash(json.loads(text))
    env = instance_envelope(m, a, "x")
    assert load_envelope(json.loads(json.dumps(env)), "mem").instance == a
    assert m.generate(6, seed + 100) != a, "different seeds should differ"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_method_returns_verified_answers(formulation, size: int, seed: int) -> None:
    m = formulation
    inst = m.generate(size, seed)
    results = {}
    for name in m.METHODS:
        res = m.solve(inst, name, time_limit=TIME_LIMIT, seed=seed)
        results[name] = res
        assert res.method == name and res.formulation == m.NAME
        assert res.status is not Status.ERROR, f"{name}: {res.message}"
        if not m.METHODS[name].exact:
            assert res.status is not Status.OPTIMAL
        if res.solution is not None:
            assert m.verify(inst, res.solution) == []
            assert math.isclose(res.objective, m.objective(inst, res.solution), rel_tol=1e-9)
            sol_dict = json.loads(json.dumps(res.solution.to_dict(), allow_nan=False))
            assert m.Solution.from_dict(sol_dict) == res.solution
        if res.bound is not None and res.objective is not None:
            assert not better(m.SENSE, res.objective, res.bound)
    optimal = [r for r in results.values() if r.status is Status.OPTIMAL]
    for a in optimal:
        for b in optimal:
            assert math.isclose(a.objective, b.objective, rel_tol=1e-5, abs_tol=1e-6), (
                f"{a.method} {a.objective} vs {b.method} {b.objective}")
        for r in results.values():
            if r.objective is not None:
                assert not better(m.SENSE, r.objective, a.objective, tol=1e-5), (
                    f"{r.method} ({r.objective}) beats proven optimum of {a.method} "
                    f"({a.objective})")
    if any(r.status is Status.INFEASIBLE for r in results.values()):
        assert not any(r.status is Status.OPTIMAL for r in results.values())


WITH_BRUTE_FORCE = [n for n in registry.names() if hasattr(registry.get(n), "brute_force")]


@pytest.mark.parametrize("name", WITH_BRUTE_FORCE)
@pytest.mark.parametrize("size", (3, 4, 5))
@pytest.mark.parametrize("seed", (0, 1, 2))
def test_exact_methods_agree_with_brute_force(name: str, size: int, seed: int) -> None:
    m = registry.get(name)
    inst = m.generate(size, seed)
    status, best = m.brute_force(inst)
    best_value = None if best is None else m.objective(inst, best)
    if best is not None:
        assert m.verify(inst, best) == []
    for name, spec in m.METHODS.items():
        if not spec.exact:
            continue
        res = m.solve(inst, name, time_limit=TIME_LIMIT, seed=seed)
        if res.status is Status.OPTIMAL:
            assert best_value is not None, f"{name} found a solution brute force did not"
            assert math.isclose(res.objective, best_value, rel_tol=1e-5, abs_tol=1e-6), (
                f"{name}: {res.objective} != brute force {best_value}")
        elif res.status is Status.INFEASIBLE:
            assert status is Status.INFEASIBLE, f"{name} says infeasible, brute force disagrees"
        if res.objective is not None and best_value is not None:
            assert not better(m.SENSE, res.objective, best_value)


def test_solve_rejects_unknown_method_and_bad_time_limit(formulation) -> None:
    inst = formulation.generate(4, 0)
    with pytest.raises(InvalidInstanceError):
        formulation.solve(inst, "no-such-method")
    for bad in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidInstanceError):
            formulation.solve(inst, registry.default_method(formulation), time_limit=bad)


def test_from_dict_errors_name_a_field(formulation) -> None:
    data = formulation.generate(4, 0).to_dict()
    required = formulation.Instance.json_schema().get("required", [])
    assert required, "the schema should list required fields"
    for key in required:
        broken = {k: v for k, v in data.items() if k != key}
        with pytest.raises(InvalidInstanceError) as info:
            formulation.Instance.from_dict(broken)
        assert key in (info.value.field or ""), info.value.one_line()
