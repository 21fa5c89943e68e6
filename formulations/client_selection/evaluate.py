"""Independent objective and verifier: recompute the round schedule from the selection only.

Shares no code with the methods. The verifier replays the round of the module docstring of
:mod:`formulations.client_selection.model` in the *given* upload order: distribution
(broadcast: until ``selection_time + max download``; parallel: per client), update, then
one upload at a time on the shared channel, then aggregation, and compares the end of the
round with the deadline.
"""

from __future__ import annotations

from edgeopt_solve.protocol import Violation

from .model import Instance, Solution


def objective(inst: Instance, sol: Solution) -> float:
    """Sum of the weights of the selected clients (the number of clients by default)."""
    weight = {c.id: c.weight for c in inst.clients}
    return float(sum(weight.get(cid, 0.0) for cid in set(sol.selected)))


def schedule(inst: Instance, sol: Solution) -> list[tuple[str, float, float, float]]:
    """The replayed round: ``(id, update start, upload start, upload end)`` per selected client.

    Unknown ids are skipped (``verify`` reports them).
    """
    by_id = {c.id: c for c in inst.clients}
    chosen = [by_id[cid] for cid in sol.selected if cid in by_id]
    t0 = inst.selection_time
    broadcast_end = t0 + max((c.download_time for c in chosen), default=0.0)
    channel_free = t0
    rows = []
    for c in chosen:
        has_model = broadcast_end if inst.download == "broadcast" else t0 + c.download_time
        ready = has_model + c.update_time
        start = max(channel_free, ready)
        end = start + c.upload_time
        channel_free = end
        rows.append((c.id, has_model, start, end))
    return rows


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint of ``sol`` (empty list when feasible).

    Checks: the selection is a list of known, distinct client ids; energy budgets; class
    coverage; and that the replayed round (last upload + aggregation) ends by the deadline.
    """
    out: list[Violation] = []
    if not isinstance(sol, Solution) or not isinstance(sol.selected, tuple):
        return [Violation("solution", f"expected a Solution, got {type(sol).__name__}")]
    by_id = {c.id: c for c in inst.clients}
    seen: set[str] = set()
    for pos, cid in enumerate(sol.selected):
        if not isinstance(cid, str) or cid not in by_id:
            out.append(Violation(f"selected[{pos}]", f"unknown client id {cid!r}"))
        elif cid in seen:
            out.append(Violation(f"selected[{pos}]", f"client {cid!r} selected twice"))
        else:
            seen.add(cid)
    if out:
        return out
    for cid in sol.selected:
        c = by_id[cid]
        if c.energy_budget is not None and c.energy > c.energy_budget + tol:
            out.append(Violation(f"energy[client={cid}]",
                                 f"energy {c.energy} J exceeds budget {c.energy_budget} J",
                                 c.energy - c.energy_budget))
    for cls_name, need in inst.min_coverage:
        have = sum(1 for cid in sol.selected if cls_name in by_id[cid].classes)
        if have < need:
            out.append(Violation(f"coverage[class={cls_name}]",
                                 f"{have} selected clients hold class {cls_name!r}, need {need}",
                                 float(need - have)))
    rows = schedule(inst, sol)
    if rows:
        end = rows[-1][3] + inst.aggregation_time
        if end > inst.deadline + tol * max(1.0, inst.deadline):
            out.append(Violation("deadline",
                                 f"round ends at {end:.9g} s, after the deadline "
                                 f"{inst.deadline:.9g} s", end - inst.deadline))
    return out
