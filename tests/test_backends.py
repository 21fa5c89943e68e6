"""Backend helpers: status maps, time limits, and stopping with the incumbent (Ctrl-C)."""

from __future__ import annotations

import threading
import time

import numpy as np

from edgeopt_solve.backends import convex, cpsat, highs, routing
from edgeopt_solve.backends.common import outcome_status
from edgeopt_solve.context import SolveContext, StopToken
from edgeopt_solve.status import Limit, Status


def test_unknown_native_status_is_error() -> None:
    assert outcome_status(None, True) == (Status.ERROR, None)
    assert outcome_status((None, Limit.TIME), True) == (Status.FEASIBLE, Limit.TIME)
    assert outcome_status((None, Limit.TIME), False) == (Status.NO_SOLUTION, Limit.TIME)
    for table in (highs.STATUS_MAP, highs.APPSI_STATUS_MAP, cpsat.STATUS_MAP,
                  convex.STATUS_MAP, routing.STATUS_MAP):
        assert table.get("kSomethingNew") is None


def hard_gap_highs(ctx: SolveContext, n: int = 60, m: int = 6, seed: int = 3):
    """A random tightly-capacitated GAP (type-D-like): hard enough to need a limit."""
    rng = np.random.default_rng(seed)
    w = rng.integers(1, 100, size=(m, n)).astype(float)
    c = 111 - w + rng.integers(-10, 11, size=(m, n))
    cap = 0.8 * w.sum(axis=1) / m
    h = highs.new_highs(ctx)
    hs = highs.highspy_module()
    x = [[h.addVariable(lb=0, ub=1, obj=float(c[i, j]), type=hs.HighsVarType.kInteger)
          for j in range(n)] for i in range(m)]
    for j in range(n):
        h.addConstr(sum(x[i][j] for i in range(m)) == 1)
    for i in range(m):
        h.addConstr(sum(float(w[i, j]) * x[i][j] for j in range(n)) <= float(cap[i]))
    return h


def test_highs_time_limit_returns_incumbent_and_bound() -> None:
    ctx = SolveContext(time_limit=1.0)
    t0 = time.perf_counter()
    run = highs.run_highs(hard_gap_highs(ctx), ctx)
    assert time.perf_counter() - t0 < 1.5
    assert run.status in (Status.FEASIBLE, Status.OPTIMAL)
    if run.status is Status.FEASIBLE:
        assert run.limit is Limit.TIME
        assert run.bound is not None and run.bound <= run.objective + 1e-6


def test_highs_stop_request_interrupts_with_incumbent() -> None:
    ctx = SolveContext(time_limit=30.0, stop=StopToken())
    h = hard_gap_highs(ctx, n=80, m=8)
    timer = threading.Timer(1.0, ctx.stop.request_stop)
    timer.start()
    t0 = time.perf_counter()
    run = highs.run_highs(h, ctx)
    timer.cancel()
    assert time.perf_counter() - t0 < 10
    if run.status is not Status.OPTIMAL:  # solved before the stop: nothing to interrupt
        assert run.limit is Limit.INTERRUPTED
        assert run.status in (Status.FEASIBLE, Status.NO_SOLUTION)


def test_cpsat_stop_request_interrupts() -> None:
    cp = cpsat.cp_model()
    model = cp.CpModel()
    rng = np.random.default_rng(0)
    n = 60
    xs = [model.new_int_var(0, 50, f"x{i}") for i in range(n)]
    for _ in range(40):
        coef = rng.integers(-9, 10, size=n)
        model.add(sum(int(a) * x for a, x in zip(coef, xs, strict=True)) <= int(rng.integers(50, 200)))
    model.maximize(sum(int(a) * x for a, x in zip(rng.integers(1, 20, size=n), xs, strict=True)))
    ctx = SolveContext(time_limit=30.0)
    timer = threading.Timer(0.5, ctx.stop.request_stop)
    timer.start()
    t0 = time.perf_counter()
    run = cpsat.solve_cpsat(model, ctx)
    timer.cancel()
    assert time.perf_counter() - t0 < 10
    if run.status is not Status.OPTIMAL:
        assert run.limit is Limit.INTERRUPTED


def test_cvxpy_chain_solves_and_maps_infeasible() -> None:
    cp = convex.cvxpy_module()
    x = cp.Variable()
    run = convex.solve_cvxpy(cp.Problem(cp.Minimize(cp.square(x - 2))), SolveContext())
    assert run.status is Status.OPTIMAL and abs(x.value - 2) < 1e-6
    run = convex.solve_cvxpy(cp.Problem(cp.Minimize(x), [x >= 1, x <= 0]), SolveContext())
    assert run.status is Status.INFEASIBLE


def test_cvxpy_time_limit_reaches_the_solver() -> None:
    """A context almost out of time stops Clarabel (MaxTime) and no fallback runs after it."""
    cp = convex.cvxpy_module()
    rng = np.random.default_rng(0)
    n = 400
    x = cp.Variable(n)
    a = rng.normal(size=(n, n))
    problem = cp.Problem(cp.Minimize(cp.sum(cp.exp(a @ x / n)) + cp.norm(x, 2)))
    ctx = SolveContext(time_limit=1e-3)
    started = time.perf_counter()
    run = convex.solve_cvxpy(problem, ctx)
    assert time.perf_counter() - started < 5.0
    assert run.status is Status.NO_SOLUTION and run.limit is Limit.TIME
    assert run.backend == "clarabel"
    unlimited = convex.solve_cvxpy(problem, SolveContext())
    assert unlimited.status is Status.OPTIMAL


def test_pyomo_highs_optimal_and_infeasible() -> None:
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 10))
    m.c = pyo.Constraint(expr=3 * m.x <= 7)
    m.o = pyo.Objective(expr=m.x, sense=pyo.maximize)
    run = highs.solve_pyomo(m, SolveContext(time_limit=5))
    assert run.status is Status.OPTIMAL and pyo.value(m.x) == 2
    m.c2 = pyo.Constraint(expr=m.x >= 3)
    assert highs.solve_pyomo(m, SolveContext()).status is Status.INFEASIBLE


def test_pyomo_highs_stop_request_interrupts() -> None:
    import pyomo.environ as pyo

    rng = np.random.default_rng(3)
    n, m = 80, 8
    w = rng.integers(1, 100, size=(m, n))
    c = 111 - w + rng.integers(-10, 11, size=(m, n))
    cap = 0.8 * w.sum(axis=1) / m
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(m), range(n), within=pyo.Binary)
    model.assign = pyo.Constraint(range(n), rule=lambda mm, j: sum(mm.x[i, j] for i in range(m)) == 1)
    model.cap = pyo.Constraint(range(m), rule=lambda mm, i: sum(
        int(w[i, j]) * mm.x[i, j] for j in range(n)) <= float(cap[i]))
    model.obj = pyo.Objective(expr=sum(int(c[i, j]) * model.x[i, j]
                                       for i in range(m) for j in range(n)))
    ctx = SolveContext(time_limit=30.0)
    timer = threading.Timer(1.5, ctx.stop.request_stop)
    timer.start()
    t0 = time.perf_counter()
    run = highs.solve_pyomo(model, ctx)
    timer.cancel()
    assert time.perf_counter() - t0 < 10
    if run.status is not Status.OPTIMAL:
        assert run.limit is Limit.INTERRUPTED
