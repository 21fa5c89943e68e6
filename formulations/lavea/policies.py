"""Johnson's rule, LAVEA's placement policies, dispatching rules and baselines.

Placement policies (Yi et al., LAVEA, SEC 2017, inter-edge collaboration): tasks are
placed one by one in arrival order (release date, then index), as the front server would
online, on the server that minimises

* ``sttf`` -- shortest transmission time first: the transfer time ``p1[j][s]``;
* ``sqlf`` -- shortest queue length first: the number of tasks placed on ``s`` that are
  predicted unfinished at the task's release date;
* ``sslf`` -- shortest scheduling latency first: the predicted completion time (transfer
  + queueing + compute), from a FIFO-append estimate of each server's link and CPU;
  the client itself is a candidate when the task can run locally.

Each server then orders its tasks by Johnson's rule on the released set (LAVEA orders
the offloaded tasks of an edge node by Johnson's rule); the ``order`` option picks
another rule. The paper does not say how SQLF breaks ties or how SSLF predicts the
queueing delay; we break ties by the lower server index and predict with the FIFO tail.

Baselines: ``local`` (every task on its client where it can), ``fifo`` (everything on the
front server in arrival order), ``cloud`` (everything to the instance's cloud, in arrival
order; NO_SOLUTION with a message when the instance has no ``cloud``). ``dispatch``
tries every dispatching rule with earliest-completion placement and keeps the best
schedule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.lavea.model import LOCAL, Instance
from formulations.lavea.schedule import (
    RULES,
    Tails,
    completions,
    flow_shop_makespan,
    infeasible_output,
    infeasible_task,
    johnson_order,
    make_solution,
    orders_from_location,
    value,
)


def _arrival_order(inst: Instance) -> list[int]:
    return sorted(range(inst.n), key=lambda j: (inst.release[j], j))


def _servers(inst: Instance, j: int) -> list[int]:
    return [o for o in inst.allowed[j] if o != LOCAL]  # type: ignore[misc]


def place(inst: Instance, policy: str, sequence: list[int] | None = None) -> list[int | str]:
    """Locations chosen by ``policy`` (``sttf``/``sqlf``/``sslf``/``ect``/``fifo``/``local``)."""
    tails = Tails(inst)
    location: list[int | str] = [LOCAL] * inst.n
    for j in sequence if sequence is not None else _arrival_order(inst):
        servers = _servers(inst, j)
        can_local = LOCAL in inst.allowed[j]
        if not servers or (policy == "local" and can_local):
            location[j] = LOCAL
            continue
        if policy == "sttf":
            s = min(servers, key=lambda s: (inst.p1[j][s], s))
        elif policy == "sqlf":
            r = inst.release[j]
            s = min(servers, key=lambda s: (tails.queue(s, r), s))
        elif policy == "fifo":
            s = 0 if 0 in servers else min(servers, key=lambda s: (tails.finish(j, s), s))
        else:  # sslf, ect, local-without-client: earliest predicted completion
            s = min(servers, key=lambda s: (tails.finish(j, s), s))
            if policy in ("sslf", "ect") and can_local:
                local_done = inst.release[j] + inst.local_time[j]  # type: ignore[operator]
                if local_done < tails.finish(j, s):
                    location[j] = LOCAL
                    continue
        tails.add(j, s)
        location[j] = s
    return location


def _output(inst: Instance, location: list[int | str], orders: list[list[int]],
            **stats: Any) -> MethodOutput:
    return MethodOutput(Status.FEASIBLE, make_solution(location, orders), stats=stats)


def _check_rule(rule: str) -> None:
    from edgeopt_solve.exceptions import InvalidOptionError

    if rule not in RULES:
        raise InvalidOptionError(f"unknown rule {rule!r}; known: {', '.join(RULES)}",
                                 field="order")


# ---------------------------------------------------------------------------- Johnson
def is_johnson_case(inst: Instance) -> bool:
    """Whether the instance is exactly F2||Cmax: one server, no release dates, makespan,
    and no placement choice (every task either must be offloaded or must run locally)."""
    return (inst.m == 1 and inst.objective == "makespan"
            and all(r == 0.0 for r in inst.release)
            and all(len(opts) == 1 for opts in inst.allowed))


def johnson(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Johnson's rule (1954) on every server.

    Optimal (and reported OPTIMAL) exactly for F2||Cmax (see :func:`is_johnson_case`).
    Otherwise a heuristic: tasks are placed in Johnson order (by their front-server
    times) on the server with the earliest predicted completion, and every server orders
    its tasks by Johnson's rule on the released set; FEASIBLE.
    """
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    if inst.m == 1 and all(r == 0.0 for r in inst.release):
        location: list[int | str] = [0 if 0 in opts else LOCAL for opts in inst.allowed]
        on = np.array([j for j, loc in enumerate(location) if loc == 0], dtype=np.int64)
        a = inst.arrays["p1"][on, 0]
        b = inst.arrays["p2"][on, 0]
        orders = [on[johnson_order(a, b)].tolist()]
    else:
        a = np.array([min(x for x in row if x is not None) if any(x is not None for x in row)
                      else 0.0 for row in inst.p1])
        b = np.array([min(x for x in row if x is not None) if any(x is not None for x in row)
                      else 0.0 for row in inst.p2])
        seq = johnson_order(a, b).tolist()
        seq.sort(key=lambda j: inst.release[j])  # stable: Johnson order within equal release
        location = place(inst, "ect", seq)
        orders = orders_from_location(inst, location, "johnson")
    if is_johnson_case(inst):
        sol = make_solution(location, orders)
        seq = np.array(orders[0], dtype=np.int64)
        bound = flow_shop_makespan(inst.arrays["p1"][:, 0], inst.arrays["p2"][:, 0], seq)
        if LOCAL in location:
            bound = max(bound, float(np.nanmax(inst.arrays["release"] + inst.arrays["local"])))
        return MethodOutput(Status.OPTIMAL, sol, bound=bound,
                            message="F2||Cmax: Johnson's rule is optimal")
    return _output(inst, location, orders)


# ---------------------------------------------------------------------------- policies
def _policy(name: str):
    def run(inst: Instance, ctx: SolveContext, *, order: str = "johnson",
            **options: Any) -> MethodOutput:
        _check_rule(order)
        bad = infeasible_task(inst)
        if bad is not None:
            return infeasible_output(inst, bad)
        location = place(inst, name)
        return _output(inst, location, orders_from_location(inst, location, order))

    run.__name__ = name
    run.__doc__ = f"LAVEA placement policy {name.upper()} (see the module docstring)."
    return run


sttf = _policy("sttf")
sqlf = _policy("sqlf")
sslf = _policy("sslf")


def local(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Baseline: every task on its client; tasks that cannot run locally go FIFO to the
    server with the earliest predicted completion."""
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    location = place(inst, "local")
    return _output(inst, location, orders_from_location(inst, location, "fifo"))


def fifo(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Baseline: offload everything to the front server (server 0) in arrival order."""
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    location = place(inst, "fifo")
    return _output(inst, location, orders_from_location(inst, location, "fifo"))


def cloud(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Baseline: every task to the cloud (the last server, ``Instance.cloud_index``) in
    arrival order (FIFO); a task the cloud cannot run (pinned elsewhere, or no cloud time)
    goes to its client if it can, else FIFO to the server with the earliest predicted
    completion. NO_SOLUTION (with a message) when the instance has no cloud."""
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    c = inst.cloud_index
    if c is None:
        return MethodOutput(Status.NO_SOLUTION,
                            message="the instance has no cloud: add a 'cloud' block")
    tails = Tails(inst)
    location: list[int | str] = [LOCAL] * inst.n
    for j in _arrival_order(inst):
        if c in inst.allowed[j]:
            s = c
        elif LOCAL in inst.allowed[j]:
            continue
        else:
            s = min(_servers(inst, j), key=lambda s: (tails.finish(j, s), s))
        tails.add(j, s)
        location[j] = s
    return _output(inst, location, orders_from_location(inst, location, "fifo"))


def best_dispatch(inst: Instance, ctx: SolveContext | None = None
                  ) -> tuple[float, list[int | str], list[list[int]], str]:
    """Best schedule over every rule (placement: earliest completion in rule order)."""
    best: tuple[float, list[int | str], list[list[int]], str] | None = None
    front = [next((x for x in row if x is not None), 0.0) for row in inst.p1]
    comp = [next((x for x in row if x is not None), 0.0) for row in inst.p2]
    for rule in RULES:
        if rule == "johnson":
            seq = sorted(johnson_order(front, comp).tolist(), key=lambda j: inst.release[j])
        elif rule == "spt":
            seq = sorted(range(inst.n), key=lambda j: (inst.release[j], front[j] + comp[j], j))
        elif rule == "wspt":
            seq = sorted(range(inst.n), key=lambda j: (
                inst.release[j], -(inst.weight[j] / max(front[j] + comp[j], 1e-12)), j))
        else:
            seq = _arrival_order(inst)
        for placement in ("ect", "sslf"):
            location = place(inst, placement, seq)
            orders = orders_from_location(inst, location, rule)
            v = value(inst, location, orders)
            if best is None or v < best[0] - 1e-12:
                best = (v, location, orders, rule)
        if ctx is not None and ctx.out_of_time() and best is not None:
            break
    assert best is not None
    return best


def dispatch_rules(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Dispatching-rule heuristic: the best of Johnson / FIFO / SPT / WSPT / ECT list
    schedules with earliest-completion placement (client included)."""
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    _v, location, orders, rule = best_dispatch(inst, ctx)
    return _output(inst, location, orders, rule=rule)


def completion_times(inst: Instance, location: list[int | str],
                     orders: list[list[int]]) -> list[float]:
    """Completion times (re-exported for the simulation and plots)."""
    return completions(inst, location, orders)
