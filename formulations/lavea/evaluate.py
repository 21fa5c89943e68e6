"""Independent evaluator: rebuild the schedule from the decision values and check it.

Shares no code with the methods. The schedule is either the solution's explicit start
times or, without them, the earliest-start schedule of each server's order: a task's
upload starts at ``max(release, end of the previous upload)`` and its compute at
``max(end of its upload, end of the previous compute)``; a local task starts at its
release date on its own client.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.protocol import Violation
from formulations.lavea.model import LOCAL, Instance, Solution

#: violations listed per kind before the verifier stops listing
MAX_REPORTED = 20


def _completions(inst: Instance, sol: Solution) -> list[float]:
    """Completion time of every task, s (the solution must be well formed)."""
    n = inst.n
    done = [0.0] * n
    if sol.upload_start is not None and sol.compute_start is not None:
        for j in range(n):
            loc = sol.location[j]
            start = sol.compute_start[j]
            assert start is not None
            length = inst.local_time[j] if loc == LOCAL else inst.p2[j][loc]  # type: ignore[index]
            done[j] = float(start) + float(length)  # type: ignore[arg-type]
        return done
    for j in range(n):
        if sol.location[j] == LOCAL:
            done[j] = inst.release[j] + float(inst.local_time[j])  # type: ignore[arg-type]
    rel, p1, p2 = inst.release, inst.p1, inst.p2
    for s, seq in enumerate(sol.order):
        link_free = cpu_free = 0.0
        for j in seq:
            r = rel[j]
            link_free = (link_free if link_free > r else r) + p1[j][s]  # type: ignore[operator]
            cpu_free = (cpu_free if cpu_free > link_free else link_free) + p2[j][s]  # type: ignore
            done[j] = cpu_free
    return done


def objective(inst: Instance, sol: Solution) -> float:
    """Makespan, total or weighted completion time of the rebuilt schedule, seconds."""
    done = _completions(inst, sol)
    if not done:
        return 0.0
    if inst.objective == "makespan":
        return float(max(done))
    if inst.objective == "total_completion":
        return float(sum(done))
    return float(sum(w * c for w, c in zip(inst.weight, done, strict=True)))


def _structure(inst: Instance, sol: Solution) -> list[Violation]:
    """Locations exist and are allowed; each server's order lists exactly its tasks."""
    out: list[Violation] = []
    n, m = inst.n, inst.m
    if len(sol.location) != n:
        return [Violation("location", f"has {len(sol.location)} entries for {n} tasks")]
    if len(sol.order) != m:
        return [Violation("order", f"has {len(sol.order)} lists for {m} servers")]
    for j, loc in enumerate(sol.location):
        task = inst.tasks[j]
        if loc == LOCAL:
            if inst.local_time[j] is None:
                out.append(Violation(f"location[task={j}]", "task cannot run on its client"))
        elif isinstance(loc, bool) or not isinstance(loc, int) or not 0 <= loc < m:
            out.append(Violation(f"location[task={j}]", f"no server {loc!r}"))
            continue
        elif inst.p2[j][loc] is None:
            out.append(Violation(f"location[task={j}]", f"server {loc} cannot run the task"))
        if task.server is not None and task.server != loc:
            out.append(Violation(f"pin[task={j}]", f"pinned to {task.server!r}, placed at {loc!r}"))
    seen: dict[int, int] = {}
    for s, seq in enumerate(sol.order):
        for j in seq:
            if not 0 <= j < n:
                out.append(Violation(f"order[server={s}]", f"no task {j}"))
                continue
            if j in seen:
                out.append(Violation(f"order[task={j}]", "task listed twice"))
                continue
            seen[j] = s
            if sol.location[j] != s:
                out.append(Violation(f"order[server={s}]",
                                     f"lists task {j} located at {sol.location[j]!r}"))
    for j, loc in enumerate(sol.location):
        if loc != LOCAL and j not in seen:
            out.append(Violation(f"order[task={j}]", f"task on server {loc!r} is not ordered"))
    return out


def _explicit_times(inst: Instance, sol: Solution, tol: float) -> list[Violation]:
    """Check explicit start times: release, precedence, no overlap, permutation order.

    Vectorised with numpy; at most ``MAX_REPORTED`` violations of each kind are listed.
    """
    up, cs = sol.upload_start, sol.compute_start
    assert up is not None and cs is not None
    n = inst.n
    if len(up) != n or len(cs) != n:
        return [Violation("start", f"start-time lists must have {n} entries")]
    out: list[Violation] = []
    is_local = [loc == LOCAL for loc in sol.location]
    for j in range(n):
        if cs[j] is None:
            out.append(Violation(f"compute_start[task={j}]", "missing"))
        elif is_local[j] and up[j] is not None:
            out.append(Violation(f"upload_start[task={j}]", "a local task is not uploaded"))
        elif not is_local[j] and up[j] is None:
            out.append(Violation(f"upload_start[task={j}]", "missing for an offloaded task"))
    if out:
        return out[:MAX_REPORTED]
    arr = inst.arrays
    ucol = np.array([0.0 if x is None else x for x in up], dtype=float)
    ccol = np.array(cs, dtype=float)
    local = np.array(is_local, dtype=bool)
    server = np.array([0 if loc == LOCAL else loc for loc in sol.location], dtype=np.int64)
    rows = np.arange(n)
    a = arr["p1"][rows, server]
    b = arr["p2"][rows, server]
    rel = arr["release"]

    def slack(x: np.ndarray) -> np.ndarray:
        return tol * np.maximum(1.0, np.abs(x))

    first = np.where(local, ccol, ucol)
    for j in np.flatnonzero(first < rel - slack(rel))[:MAX_REPORTED].tolist():
        out.append(Violation(f"release[task={j}]", f"starts {first[j]} before release "
                                                    f"{rel[j]}", float(rel[j] - first[j])))
    ready = ucol + a
    late = ~local & (ccol < ready - slack(ready))
    for j in np.flatnonzero(late)[:MAX_REPORTED].tolist():
        out.append(Violation(f"precedence[task={j}]", f"compute starts {ccol[j]} before "
                                                      f"upload ends {ready[j]}",
                             float(ready[j] - ccol[j])))
    if out:
        return out
    for s, seq in enumerate(sol.order):
        idx = np.array(seq, dtype=np.int64)
        if len(idx) < 2:
            continue
        for stage, starts, lengths in (("upload", ucol, a), ("compute", ccol, b)):
            st = starts[idx]
            srt = np.argsort(st, kind="stable")
            begin, end = st[srt], st[srt] + lengths[idx][srt]
            clash = begin[1:] < end[:-1] - slack(end[:-1])
            for i in np.flatnonzero(clash)[:MAX_REPORTED].tolist():
                ja, jb = int(idx[srt][i]), int(idx[srt][i + 1])
                out.append(Violation(f"overlap[{stage},server={s}]",
                                     f"task {jb} starts at {begin[i + 1]} before task {ja} "
                                     f"ends at {end[i]}", float(end[i] - begin[i + 1])))
            back = st[1:] < st[:-1] - slack(st[:-1])
            for i in np.flatnonzero(back)[:MAX_REPORTED].tolist():
                out.append(Violation(f"sequence[{stage},server={s}]",
                                     f"task {int(idx[i + 1])} starts before task {int(idx[i])}, "
                                     "against the order"))
    return out


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint of ``sol``; ``[]`` when it is feasible.

    Checks: one valid, allowed location per task (pins respected); each server's order
    lists exactly its tasks once; and, on the rebuilt schedule, release dates, upload
    before compute, no overlap on either machine of a server, and the same order on both.
    """
    out = _structure(inst, sol)
    if out:
        return out
    if sol.upload_start is not None or sol.compute_start is not None:
        if sol.upload_start is None or sol.compute_start is None:
            return [Violation("start", "upload_start and compute_start go together")]
        return _explicit_times(inst, sol, tol)
    return _rebuilt_checks(inst, sol, tol)


def _rebuilt_checks(inst: Instance, sol: Solution, tol: float) -> list[Violation]:
    """Rebuild the earliest-start schedule and check it (a guard against evaluator bugs)."""
    up: list[float | None] = [None] * inst.n
    cs: list[float | None] = [None] * inst.n
    for j, loc in enumerate(sol.location):
        if loc == LOCAL:
            cs[j] = inst.release[j]
    rel, p1, p2 = inst.release, inst.p1, inst.p2
    for s, seq in enumerate(sol.order):
        link_free = cpu_free = 0.0
        for j in seq:
            r = rel[j]
            u = link_free if link_free > r else r
            link_free = u + p1[j][s]  # type: ignore[operator]
            c = cpu_free if cpu_free > link_free else link_free
            cpu_free = c + p2[j][s]  # type: ignore[operator]
            up[j], cs[j] = u, c
    rebuilt = Solution(sol.location, sol.order, tuple(up), tuple(cs))
    return _explicit_times(inst, rebuilt, tol)


def schedule_table(inst: Instance, sol: Solution) -> list[dict[str, Any]]:
    """Rows ``{task, location, upload_start, upload_end, compute_start, end}`` (for plots)."""
    rows = []
    if sol.upload_start is None or sol.compute_start is None:
        up: list[float | None] = [None] * inst.n
        cs: list[float | None] = [None] * inst.n
        for j, loc in enumerate(sol.location):
            if loc == LOCAL:
                cs[j] = inst.release[j]
        for s, seq in enumerate(sol.order):
            link_free = cpu_free = 0.0
            for j in seq:
                up[j] = max(link_free, inst.release[j])
                link_free = up[j] + inst.p1[j][s]  # type: ignore[operator]
                cs[j] = max(cpu_free, link_free)
                cpu_free = cs[j] + inst.p2[j][s]  # type: ignore[operator]
    else:
        up, cs = list(sol.upload_start), list(sol.compute_start)
    for j, loc in enumerate(sol.location):
        c0 = float(cs[j])  # type: ignore[arg-type]
        if loc == LOCAL:
            rows.append({"task": j, "location": LOCAL, "upload_start": None, "upload_end": None,
                         "compute_start": c0, "end": c0 + inst.local_time[j]})  # type: ignore
        else:
            u0 = float(up[j])  # type: ignore[arg-type]
            rows.append({"task": j, "location": loc, "upload_start": u0,
                         "upload_end": u0 + inst.p1[j][loc],  # type: ignore[index,operator]
                         "compute_start": c0,
                         "end": c0 + inst.p2[j][loc]})  # type: ignore[index,operator]
    return rows
