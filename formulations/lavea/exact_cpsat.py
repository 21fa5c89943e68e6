"""Exact assignment + sequencing model in OR-Tools CP-SAT.

Variables (times scaled to integers, see below):

* ``x[j,o]`` -- task ``j`` runs at location ``o`` (an allowed server, or its client);
  ``sum_o x[j,o] = 1``;
* ``S1_j, S2_j, C_j`` -- upload start, compute start and completion of task ``j``;
  ``S1_j >= r_j``;
* optional fixed-size intervals ``[S1_j, S1_j + p1[j][s])`` and ``[S2_j, S2_j + p2[j][s])``
  present iff ``x[j,s]``, with ``AddNoOverlap`` per server and machine;
* ``x[j,s] => S2_j >= S1_j + p1[j][s]`` and ``C_j = S2_j + p2[j][s]``;
  ``x[j,local] => C_j = r_j + local_j``;
* order literals ``o[j,k]`` (``j`` before ``k``) enforce the *same* order on both machines
  when ``j`` and ``k`` share a server (permutation flow shop).

Objective: ``max_j C_j``, ``sum_j C_j`` or ``sum_j w_j C_j``.

Scaling. CP-SAT needs integers: times are multiplied by the smallest power of ten
``10^d`` (``d <= 9``) that makes them all integral; if none does, times are rounded to
nanoseconds (or to the ``resolution`` option's grid) and the reported bound is lowered by
the largest change the rounding can make to the objective, so it stays a true bound;
OPTIMAL is then claimed only when the verified objective meets that bound within 1e-6
(relative). CP-SAT stops at a relative gap of ``REL_GAP``. Fine grids make the proof
much slower (10 tasks, 3 servers, weighted completion: ~2 s on a millisecond grid,
> 30 s on a nanosecond grid), so give data in milliseconds or pass ``resolution``. Weights are scaled the same
way (``d <= 4``); non-decimal weights give FEASIBLE with a trivial bound.
A solution hint from the dispatching heuristic is added.
"""

from __future__ import annotations

from typing import Any

from edgeopt_solve.backends.cpsat import cp_model, solve_cpsat
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.lavea.model import LOCAL, Instance
from formulations.lavea.policies import best_dispatch
from formulations.lavea.schedule import (
    infeasible_output,
    infeasible_task,
    make_solution,
    value,
)

#: relative gap at which CP-SAT stops and reports OPTIMAL (HiGHS uses mip_rel_gap 1e-6)
REL_GAP = 1e-7


def decimal_scale(values: list[float], max_digits: int) -> tuple[int, bool]:
    """Smallest ``10^d`` (``d <= max_digits``) making every value integral; exact flag."""
    for d in range(max_digits + 1):
        scale = 10**d
        if all(abs(v * scale - round(v * scale)) <= 1e-9 * max(1.0, abs(v * scale))
               for v in values):
            return scale, True
    return 10**max_digits, False


def _times(inst: Instance) -> list[float]:
    out: list[float] = list(inst.release)
    for j in range(inst.n):
        out.extend(x for x in inst.p1[j] if x is not None)
        out.extend(x for x in inst.p2[j] if x is not None)
        if inst.local_time[j] is not None:
            out.append(inst.local_time[j])  # type: ignore[arg-type]
    return out


def trivial_bound(inst: Instance) -> float:
    """Each task alone at its best location: a valid lower bound."""
    best = []
    for j in range(inst.n):
        opts = []
        for o in inst.allowed[j]:
            if o == LOCAL:
                opts.append(inst.local_time[j])
            else:
                opts.append(inst.p1[j][o] + inst.p2[j][o])  # type: ignore[index,operator]
        best.append(inst.release[j] + min(opts))  # type: ignore[type-var,operator]
    if not best:
        return 0.0
    if inst.objective == "makespan":
        return max(best)
    if inst.objective == "total_completion":
        return sum(best)
    return sum(w * c for w, c in zip(inst.weight, best, strict=True))


def cpsat(inst: Instance, ctx: SolveContext, *, workers: int | None = None, hint: bool = True,
          sequencing: str = "pairs", resolution: float | None = None,
          **options: Any) -> MethodOutput:
    """Solve the assignment + sequencing model exactly with CP-SAT.

    Options: ``sequencing`` ``"pairs"`` (order literal per task pair) or ``"circuit"``
    (successor circuit per server); ``workers`` (default: 1 up to 12 tasks, where one
    sequential search proves fastest on a shared machine, else 2, whose LP worker gives
    much better bounds); ``resolution`` (seconds, e.g. ``1e-3``) rounds the
    times to that grid instead of the automatic exact decimal scale -- much faster on
    data that are not decimal, with the bound corrected for the rounding; ``hint``.
    """
    if sequencing not in ("pairs", "circuit"):
        from edgeopt_solve.exceptions import InvalidOptionError

        raise InvalidOptionError(f"sequencing must be 'pairs' or 'circuit', got {sequencing!r}",
                                 field="sequencing")
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    n, m = inst.n, inst.m
    if n == 0:
        return MethodOutput(Status.OPTIMAL, make_solution([], [[] for _ in range(m)]), bound=0.0)
    cp = cp_model()
    if resolution is not None and resolution > 0:
        scale = max(1, round(1.0 / resolution))
        exact_times = all(abs(v * scale - round(v * scale)) <= 1e-9 * max(1.0, v * scale)
                          for v in _times(inst))
    else:
        scale, exact_times = decimal_scale(_times(inst), 9)
    wscale, exact_w = 1, True
    if inst.objective == "weighted_completion":
        wscale, exact_w = decimal_scale(list(inst.weight), 4)

    def q(x: float) -> int:
        return round(x * scale)

    rel = [q(r) for r in inst.release]
    horizon = max(rel) + sum(
        max((q(inst.p1[j][o]) + q(inst.p2[j][o]) if o != LOCAL  # type: ignore[index,arg-type]
             else q(inst.local_time[j])) for o in inst.allowed[j])  # type: ignore[arg-type]
        for j in range(n)) + 1
    plan = best_dispatch(inst)[1:3] if hint else None
    pos: dict[int, tuple[int, int]] = {}
    if plan is not None:
        pos = {j: (s, i) for s, seq in enumerate(plan[1]) for i, j in enumerate(seq)}
    model = cp.CpModel()
    s1 = [model.new_int_var(rel[j], horizon, f"s1_{j}") for j in range(n)]
    s2 = [model.new_int_var(rel[j], horizon, f"s2_{j}") for j in range(n)]
    done = [model.new_int_var(rel[j], horizon, f"c_{j}") for j in range(n)]
    x: dict[tuple[int, int | str], Any] = {}
    up_iv: list[list[Any]] = [[] for _ in range(m)]
    cpu_iv: list[list[Any]] = [[] for _ in range(m)]
    for j in range(n):
        for o in inst.allowed[j]:
            lit = model.new_bool_var(f"x_{j}_{o}")
            x[j, o] = lit
            if o == LOCAL:
                model.add(done[j] == rel[j] + q(inst.local_time[j])).only_enforce_if(lit)  # type: ignore
                model.add(s1[j] == rel[j]).only_enforce_if(lit)
                model.add(s2[j] == rel[j]).only_enforce_if(lit)
                continue
            a, b = q(inst.p1[j][o]), q(inst.p2[j][o])  # type: ignore[arg-type,index]
            up_iv[o].append((j, model.new_optional_fixed_size_interval_var(s1[j], a, lit,
                                                                            f"u_{j}_{o}")))
            cpu_iv[o].append((j, model.new_optional_fixed_size_interval_var(s2[j], b, lit,
                                                                             f"p_{j}_{o}")))
            model.add(s2[j] >= s1[j] + a).only_enforce_if(lit)
            model.add(done[j] == s2[j] + b).only_enforce_if(lit)
        model.add_exactly_one(x[j, o] for o in inst.allowed[j])
    for s in range(m):
        model.add_no_overlap([iv for _, iv in up_iv[s]])
        model.add_no_overlap([iv for _, iv in cpu_iv[s]])
        on = [j for j, _ in up_iv[s]]
        if sequencing == "circuit":
            _circuit(model, inst, s, on, x, s1, s2, q, pos)
        else:
            _pairs(model, inst, s, on, x, s1, s2, q, pos)
    if inst.objective == "makespan":
        cmax = model.new_int_var(0, horizon, "cmax")
        model.add_max_equality(cmax, done)
        model.minimize(cmax)
    elif inst.objective == "total_completion":
        model.minimize(sum(done))
    else:
        model.minimize(sum(round(w * wscale) * c for w, c in zip(inst.weight, done, strict=True)))
    if plan is not None:
        _add_hint(inst, model, x, s1, s2, done, q, plan)
    if workers is None:
        workers = 1 if n <= 12 else 2
    run = solve_cpsat(model, ctx, workers=workers, relative_gap_limit=REL_GAP)
    if run.status is Status.INFEASIBLE:  # pragma: no cover - every task has an option
        return MethodOutput(Status.INFEASIBLE, message="CP-SAT proved the model infeasible",
                            backend="cp-sat", solver_versions=run.versions)
    if not run.has_solution:
        if plan is not None and run.status is Status.NO_SOLUTION:
            # stopped before CP-SAT reported a solution: return the hinted incumbent
            return MethodOutput(Status.FEASIBLE, make_solution(*plan), bound=trivial_bound(inst),
                                limit=run.limit, backend="cp-sat", solver_versions=run.versions,
                                message="stopped before CP-SAT found a solution: "
                                        "dispatching incumbent")
        return MethodOutput(run.status, limit=run.limit, backend="cp-sat",
                            solver_versions=run.versions, message=run.native_status)
    solver = run.handle
    location: list[int | str] = [next(o for o in inst.allowed[j] if solver.value(x[j, o]))
                                 for j in range(n)]
    orders = []
    for s in range(m):
        on = [j for j in range(n) if location[j] == s]
        on.sort(key=lambda j: (solver.value(s1[j]), solver.value(s2[j]), j))
        orders.append(on)
    sol = make_solution(location, orders)
    obj = value(inst, location, orders)
    slack = _rounding_slack(inst, scale, exact_times)
    bound = run.bound / (scale * wscale) - slack if run.bound is not None else None
    status, limit, message = run.status, run.limit, ""
    if not exact_w:
        bound, limit = trivial_bound(inst), limit or Limit.OTHER
        status, message = Status.FEASIBLE, "weights are not decimal: no optimality proof"
    elif status is Status.OPTIMAL and not exact_times and (
            bound is None or obj - bound > 1e-6 * max(1.0, abs(obj))):
        status, limit = Status.FEASIBLE, Limit.OTHER
        message = f"times rounded to 1/{scale} s: optimal for the rounded data only"
    if bound is not None:
        bound = min(bound, obj)
    stats = {"scale": scale, "exact_data": exact_times and exact_w,
             "wall_time": solver.wall_time, "branches": solver.num_branches}
    return MethodOutput(status, sol, bound=bound, limit=limit, backend="cp-sat",
                        solver_versions=run.versions, message=message, stats=stats)


def _pairs(model: Any, inst: Instance, s: int, on: list[int], x: dict, s1: list, s2: list,
           q: Any, pos: dict[int, tuple[int, int]]) -> None:
    """Same order on both machines: one literal per ordered pair sharing server ``s``."""
    for i, j in enumerate(on):
        for k in on[i + 1:]:
            both = model.new_bool_var(f"b_{j}_{k}_{s}")
            model.add_bool_and([x[j, s], x[k, s]]).only_enforce_if(both)
            model.add_bool_or([x[j, s].Not(), x[k, s].Not(), both])
            jk = model.new_bool_var(f"o_{j}_{k}_{s}")
            kj = model.new_bool_var(f"o_{k}_{j}_{s}")
            model.add(jk + kj == both)
            if pos:
                shared = pos.get(j, (-1, 0))[0] == s and pos.get(k, (-1, 0))[0] == s
                model.add_hint(both, shared)
                model.add_hint(jk, shared and pos[j][1] < pos[k][1])
                model.add_hint(kj, shared and pos[k][1] < pos[j][1])
            for first, second, lit in ((j, k, jk), (k, j, kj)):
                a, b = q(inst.p1[first][s]), q(inst.p2[first][s])
                model.add(s1[second] >= s1[first] + a).only_enforce_if(lit)
                model.add(s2[second] >= s2[first] + b).only_enforce_if(lit)


def _circuit(model: Any, inst: Instance, s: int, on: list[int], x: dict, s1: list, s2: list,
             q: Any, pos: dict[int, tuple[int, int]]) -> None:
    """Same order on both machines: a successor circuit over the tasks on server ``s``.

    Node 0 is a depot; arc ``j -> k`` means ``k`` directly follows ``j`` on ``s`` (then
    ``k`` starts after ``j`` on both machines); the self-loop of ``j`` means ``j`` is not
    on ``s``.
    """
    if not on:
        return
    arcs = []
    here = {j: pos[j][1] for j in on if pos.get(j, (-1, 0))[0] == s}
    count = len(here)

    def literal(name: str, value: bool) -> Any:
        lit = model.new_bool_var(name)
        if pos:
            model.add_hint(lit, value)
        return lit

    for j in on:
        node = on.index(j) + 1
        arcs.append((node, node, x[j, s].Not()))
        arcs.append((0, node, literal(f"first_{j}_{s}", here.get(j) == 0)))
        arcs.append((node, 0, literal(f"last_{j}_{s}", j in here and here[j] == count - 1)))
        for k in on:
            if k == j:
                continue
            lit = literal(f"next_{j}_{k}_{s}", j in here and k in here and here[k] == here[j] + 1)
            arcs.append((node, on.index(k) + 1, lit))
            a, b = q(inst.p1[j][s]), q(inst.p2[j][s])
            model.add(s1[k] >= s1[j] + a).only_enforce_if(lit)
            model.add(s2[k] >= s2[j] + b).only_enforce_if(lit)
    empty = literal(f"empty_{s}", count == 0)
    arcs.append((0, 0, empty))
    model.add_circuit(arcs)


def _rounding_slack(inst: Instance, scale: int, exact: bool) -> float:
    """Largest change of the objective that rounding the times to ``1/scale`` can cause."""
    if exact:
        return 0.0
    per_task = (2 * inst.n + 2) * 0.5 / scale
    if inst.objective == "makespan":
        return per_task
    if inst.objective == "total_completion":
        return inst.n * per_task
    return sum(inst.weight) * per_task


def _add_hint(inst: Instance, model: Any, x: dict, s1: list, s2: list, done: list,
              q: Any, plan: tuple[list[int | str], list[list[int]]]) -> None:
    """Hint the best dispatching schedule (in the same integer time grid)."""
    location, orders = plan
    for (j, o), lit in x.items():
        model.add_hint(lit, location[j] == o)
    for j, loc in enumerate(location):
        if loc == LOCAL:
            model.add_hint(done[j], q(inst.release[j]) + q(inst.local_time[j]))
            model.add_hint(s1[j], q(inst.release[j]))
            model.add_hint(s2[j], q(inst.release[j]))
    for s, seq in enumerate(orders):
        t1 = t2 = 0
        for j in seq:
            start1 = max(t1, q(inst.release[j]))
            t1 = start1 + q(inst.p1[j][s])
            start2 = max(t2, t1)
            t2 = start2 + q(inst.p2[j][s])
            model.add_hint(s1[j], start1)
            model.add_hint(s2[j], start2)
            model.add_hint(done[j], t2)
