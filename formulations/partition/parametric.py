"""Parametric partitioning: the optimal plan as a function of one link's bandwidth.

For a fixed placement every cost is ``A + B / bandwidth`` (hop time ``rtt/2 + 8 d / bw``),
a line in ``w = 1 / bandwidth``; the optimum ``f(w) = min_plans (A_p + B_p w)`` is their lower
envelope: concave, piecewise linear, with at most N + 1 pieces for a two-tier chain
(Neurosurgeon's split points). The envelope is traced with an exact oracle (the layered
min cut of :mod:`mincut`, DAGs and K tiers included) by the Eisner-Severance recursion:
solve at the two ends; if the plans differ, solve where their lines cross; a plan strictly
below both lines there splits the interval, otherwise the crossing is a breakpoint. That is
at most 2 x (pieces) - 1 min cuts. A runtime then looks the plan up by bisection.

Reference: M. Eisner, D. Severance, "Mathematical techniques for efficient record
segmentation in large shared databases", JACM 23(4), 1976 (parametric envelope); applied to
bandwidth-adaptive partitioning as in Neurosurgeon (Kang et al., ASPLOS 2017).
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.partition import costs
from formulations.partition.mincut import exact_conditions, layered_cut
from formulations.partition.model import Instance, Solution


@dataclass(frozen=True)
class PlanTable:
    """Optimal plans on bandwidth intervals of one link.

    ``bandwidths[i]`` is the lower end of interval i (ascending, ``bandwidths[0]`` the
    table's lower limit); ``plans[i]`` the placement optimal on it; ``lines[i]`` its cost
    ``(A, B)`` as ``A + B / bandwidth``.
    """

    link: int
    bandwidths: tuple[float, ...]
    plans: tuple[tuple[int, ...], ...]
    lines: tuple[tuple[float, float], ...]

    def lookup(self, bandwidth: float) -> tuple[int, ...]:
        """The optimal placement at ``bandwidth`` bit/s (a bisection, no solve)."""
        i = bisect.bisect_right(self.bandwidths, bandwidth) - 1
        return self.plans[i if i > 0 else 0]

    def cost(self, bandwidth: float) -> float:
        """The optimal objective at ``bandwidth``."""
        i = max(0, bisect.bisect_right(self.bandwidths, bandwidth) - 1)
        a, b = self.lines[i]
        return a + b / bandwidth


def with_bandwidth(inst: Instance, link: int, bandwidth: float) -> Instance:
    """A copy of ``inst`` with ``links[link]`` at ``bandwidth`` (down too, if it followed)."""
    links = list(inst.links)
    links[link] = links[link].model_copy(update={"bandwidth": float(bandwidth)})
    return dataclasses.replace(inst, links=tuple(links))


def plan_table(inst: Instance, link: int = 0, low: float = 1e4, high: float = 1e11,
               max_cuts: int = 2000) -> PlanTable:
    """Trace the optimal plan of ``inst`` over ``links[link].bandwidth`` in ``[low, high]``."""
    if not 0 <= link < len(inst.links):
        raise ValueError(f"link {link} out of range")
    w = costs.weights(inst)
    cache: dict[tuple[int, ...], tuple[float, float]] = {}

    def solve_at(omega: float) -> tuple[int, ...]:
        plan = layered_cut(with_bandwidth(inst, link, 1.0 / omega), w)
        if plan.tiers is None:
            raise ValueError(plan.message)
        return tuple(plan.tiers)

    def line(x: tuple[int, ...]) -> tuple[float, float]:
        if x not in cache:
            c1 = costs.placement_cost(with_bandwidth(inst, link, 1.0), x, w)
            c2 = costs.placement_cost(with_bandwidth(inst, link, 0.5), x, w)
            b = c2 - c1  # omega 1 -> 2
            cache[x] = (c1 - b, b)
        return cache[x]

    lo_w, hi_w = 1.0 / high, 1.0 / low
    points: list[tuple[float, tuple[int, ...]]] = []  # (omega where plan starts, plan)
    p_lo, p_hi = solve_at(lo_w), solve_at(hi_w)
    stack = [(lo_w, p_lo, hi_w, p_hi)]
    segments: list[tuple[float, tuple[int, ...], float, tuple[int, ...]]] = []
    calls = 2
    while stack:
        a_w, pa, b_w, pb = stack.pop()
        if pa == pb:
            segments.append((a_w, pa, b_w, pb))
            continue
        (a1, b1), (a2, b2) = line(pa), line(pb)
        if abs(b1 - b2) < 1e-300:
            segments.append((a_w, pa, b_w, pb))
            continue
        cross = (a2 - a1) / (b1 - b2)
        cross = min(max(cross, a_w), b_w)
        if calls >= max_cuts:
            segments.append((a_w, pa, b_w, pb))
            continue
        pm = solve_at(cross)
        calls += 1
        am, bm = line(pm)
        here = a1 + b1 * cross
        if pm in (pa, pb) or am + bm * cross >= here - 1e-12 * max(1.0, abs(here)):
            segments.append((a_w, pa, b_w, pb))
            continue
        stack.append((a_w, pa, cross, pm))
        stack.append((cross, pm, b_w, pb))
    # omega ascending = bandwidth descending; each segment switches from pa to pb at the
    # crossing of their lines
    for a_w, pa, b_w, pb in segments:
        if pa == pb:
            points.append((a_w, pa))
            continue
        (a1, b1), (a2, b2) = line(pa), line(pb)
        if abs(b1 - b2) <= 1e-300:  # parallel lines: the lower one holds on the segment
            points.append((a_w, pa if a1 <= a2 else pb))
            continue
        points.append((a_w, pa))
        points.append((min(max((a2 - a1) / (b1 - b2), a_w), b_w), pb))
    points.sort()
    merged: list[tuple[float, tuple[int, ...]]] = []
    for omega, plan in points:
        if merged and merged[-1][1] == plan:
            continue
        merged.append((omega, plan))
    # convert to ascending bandwidth: interval of plan i is omega in [omega_i, omega_{i+1})
    bws, plans, lines = [], [], []
    for i in range(len(merged) - 1, -1, -1):
        omega, plan = merged[i]
        upper_omega = merged[i + 1][0] if i + 1 < len(merged) else hi_w
        bws.append(1.0 / upper_omega if i + 1 < len(merged) else low)
        plans.append(plan)
        lines.append(line(plan))
    return PlanTable(link, tuple(bws), tuple(plans), tuple(lines))


def run(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """The ``parametric`` method: the plan table of ``links[0]`` and its entry for the
    instance's own bandwidth (options: ``link``, ``low``, ``high``)."""
    if inst.n_tiers < 2 or not costs.is_sum(inst):
        return MethodOutput(Status.NO_SOLUTION,
                            message="parametric needs >= 2 tiers and a sum objective")
    link = int(options.get("link", 0))  # type: ignore[call-overload]
    bw = inst.links[link].bandwidth
    low = float(options.get("low", min(1e4, bw)))  # type: ignore[arg-type]
    high = float(options.get("high", max(1e11, bw)))  # type: ignore[arg-type]
    try:
        table = plan_table(inst, link, low, high)
    except ValueError as exc:
        status = Status.INFEASIBLE if inst.monotone else Status.NO_SOLUTION
        return MethodOutput(status, message=str(exc))
    x = table.lookup(bw)
    check = layered_cut(inst, costs.weights(inst))  # guard: the table entry must match
    if check.tiers is not None and costs.placement_cost(inst, x, costs.weights(inst)) > (
            check.value * (1 + 1e-9) + 1e-15):
        x = tuple(check.tiers)
    stats = {"breakpoints": list(table.bandwidths[1:]), "plans": len(table.plans)}
    broken = costs.side_violation(inst, x)
    if broken is not None:
        return MethodOutput(Status.NO_SOLUTION, message=f"the plan violates {broken}",
                            stats=stats)
    if exact_conditions(inst):
        return MethodOutput(Status.OPTIMAL, Solution(x), bound=min(check.bound, table.cost(bw)),
                            stats=stats)
    return MethodOutput(Status.FEASIBLE, Solution(x), stats=stats)
