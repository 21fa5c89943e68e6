"""``cvxpy``: the exact method as one DCP program solved by a conic solver (Clarabel).

Units are scaled so that the solver sees numbers near one: times in units of the deadline
T (the TDMA slots in units of T/K), energies in units of ``E_ref``, the energy of a simple
feasible point (half the slack to computing, half to uploading).

**TDMA** (variables ``t = T_c/T``, ``x_k = tau_k·K/T``, ``z_k``)::

    minimise  [kappa·sum C³/T² · t^-2  +  sum_k (T/K)·((a_k + p_max_k)·z_k - a_k·x_k)] / E_ref
    s.t.      (c_k - x_k·ln(1 + u_k), x_k, z_k) in K_exp,   c_k = s_k·ln2·K/(T·W)
              i.e. x_k·exp(c_k/x_k) <= (1 + u_k)·z_k
              z_k <= x_k                                  (p_k <= p_max_k)
              t + sum_k x_k/K <= 1,   t >= max_k C_k/(f_max_k·T)

The slot energy ``tau·a·(2^(s/(tau·W)) - 1)`` is the perspective of an exponential, which
the exponential cone expresses directly; scaling z_k by ``1 + u_k`` (the SNR at p_max)
keeps every variable between 0 and about 1 (without it Clarabel stops 1e-3 away from
the optimum at tight deadlines, where z_k reaches 1e5).

**NOMA** (variables ``t``, ``l = L/T`` and, along the SIC order from the weakest device,
``Z_m = l + y(first m devices)`` with ``y_k = q_k·l`` the SNR-window product; the energy
of device k is ``a_k·T·y_k``)::

    minimise  [kappa·sum C³/T² · t^-2  +  sum_k a_k·T·y_k] / E_ref
    s.t.      l·exp(B_m/l) <= Z_m,   B_m = sum of s_k·ln2/(T·W) over the first m devices
              (the nested SIC constraints ``B_m <= l·ln(1 + y(S_m)/l)`` written as
              perspectives of exp; Z_m is scaled by ``exp(B_m/l_max)`` so the exponential
              cone sees numbers near one — the plain ``rel_entr`` form made Clarabel stop
              2e-4 away from the optimum while reporting "optimal")
              y_k = Z_m - Z_(m-1) >= 0,  y_k <= u_k·l,   t + l <= 1,   t >= max C_k/(f_max_k·T)

Without power limits the K ordered constraints are exact (their optimum is the SIC
decoding-order point, which satisfies every subset constraint). With power limits they
are a relaxation, so the method adds the most violated subset constraint (found exactly
among the prefixes of the devices sorted by ``s_k/y_k``) and re-solves until the solution
lies in the full capacity region (``cut_rounds`` at most). ``subsets="all"`` uses all
2^K - 1 constraints instead (tests, K <= 12).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from edgeopt_solve.backends.convex import cvxpy_module, solve_cvxpy
from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_uplink.kernels import LN2, Arrays, arrays
from formulations.fl_uplink.model import Solution


def _reference_energy(A: Arrays) -> float:
    """Energy of a simple point: half the slack to computing, slots at full power plus share."""
    tau_min = A.tau_min
    slack = max(A.T - A.tc_min - float(np.sum(tau_min)), 0.0)
    tc = A.tc_min + slack / 2
    tau = tau_min * (1.0 + slack / 2 / max(float(np.sum(tau_min)), 1e-300))
    up = float(np.sum(tau * A.a * np.expm1(A.b * LN2 / tau)))
    return A.kappa * A.sum_c3 / tc ** 2 + up


def _tdma_program(cp: Any, A: Arrays, time_only: bool) -> tuple[Any, dict[str, Any]]:
    n, T = A.n, A.T
    t = cp.Variable(nonneg=True)
    x = cp.Variable(n, nonneg=True)
    z = cp.Variable(n, nonneg=True)
    c = A.s * LN2 * n / (T * A.W)
    lg = np.log1p(A.u)  # z_k is scaled by (1 + u_k): x·exp((c - x·ln(1+u))/x) <= z
    cons = [cp.constraints.ExpCone(c - cp.multiply(lg, x), x, z), z <= x, t >= A.tc_min / T]
    if time_only:
        obj = cp.Minimize(t + cp.sum(x) / n)
    else:
        cons.append(t + cp.sum(x) / n <= 1.0)
        e_ref = _reference_energy(A)
        comp = (A.kappa * A.sum_c3 / T ** 2 / e_ref) * cp.power(t, -2)
        up = cp.multiply((A.a + A.pmax) * T / n / e_ref, z) - cp.multiply(A.a * T / n / e_ref, x)
        obj = cp.Minimize(comp + cp.sum(up))
    return cp.Problem(obj, cons), {"t": t, "x": x, "z": z}


def _noma_program(cp: Any, A: Arrays, time_only: bool,
                  subsets: list[tuple[int, ...]]) -> tuple[Any, dict[str, Any], list[Any]]:
    n, T = A.n, A.T
    t = cp.Variable(nonneg=True)
    l_ = cp.Variable(pos=True)
    weakest_first = np.argsort(A.h, kind="stable")
    B = np.cumsum(A.s[weakest_first]) * LN2 / (T * A.W)      # nats per unit window
    lg = B / max(1.0 - A.tc_min / T, 1e-9)                   # ln(gamma_m), Z_m = gamma_m·v_m
    v = cp.Variable(n, nonneg=True)
    Z = cp.multiply(np.exp(lg), v)                           # Z_m = l + y(first m devices)
    y_sorted = cp.hstack([Z[0] - l_, Z[1:] - Z[:-1]]) if n > 1 else cp.hstack([Z[0] - l_])
    unsort = np.empty(n, dtype=np.int64)
    unsort[weakest_first] = np.arange(n)
    y = y_sorted[unsort]
    cons = [cp.constraints.ExpCone(B - lg * l_, l_ * np.ones(n), v),  # l·e^(B/l) <= Z
            y >= 0, y <= A.u * l_, t >= A.tc_min / T]
    extra = [c for s in subsets for c in _subset_constraint(cp, A, l_, y, s)]
    if time_only:
        obj = cp.Minimize(t + l_)
    else:
        cons.append(t + l_ <= 1.0)
        e_ref = _reference_energy(A)
        comp = (A.kappa * A.sum_c3 / T ** 2 / e_ref) * cp.power(t, -2)
        obj = cp.Minimize(comp + cp.sum(cp.multiply(A.a * T / e_ref, y)))
    return cp.Problem(obj, cons + extra), {"t": t, "l": l_, "y": y}, extra


def _subset_constraint(cp: Any, A: Arrays, l_: Any, y: Any, s: tuple[int, ...]) -> Any:
    """``B_S <= l·ln(1 + y(S)/l)`` as the scaled cone ``l·exp(B_S/l) <= gamma·v <= l + y(S)``."""
    idx = list(s)
    bits = float(np.sum(A.s[idx])) * LN2 / (A.T * A.W)
    lg = bits / max(1.0 - A.tc_min / A.T, 1e-9)
    v = cp.Variable(nonneg=True)
    return [cp.constraints.ExpCone(bits - lg * l_, l_, v),
            math.exp(lg) * v <= l_ + cp.sum(y[idx])]


def _solve(prob: Any, ctx: SolveContext, opts: dict[str, Any]) -> Any:
    """Clarabel; if it fails or is inaccurate, Clarabel without equilibration; then SCS.

    Near the smallest feasible deadline the feasible set is thin and Clarabel's
    equilibration sometimes makes it fail; switching it off fixes every case seen.
    """
    run = solve_cvxpy(prob, ctx, chain=("CLARABEL",), **opts)
    if run.limit is Limit.TIME or ctx.out_of_time():
        return run
    if run.status is Status.ERROR or run.limit is not None:
        run = solve_cvxpy(prob, ctx, chain=("CLARABEL",), equilibrate_enable=False, **opts)
    if run.status is Status.ERROR or (run.limit is not None and run.limit is not Limit.TIME):
        scs_opts = {"time_limit_secs": opts["time_limit"]} if "time_limit" in opts else {}
        run = solve_cvxpy(prob, ctx, chain=("SCS",), **scs_opts)
    return run


def _most_violated(A: Arrays, L: float, y: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """Most violated capacity constraint (relative slack, set) for the NOMA point."""
    rho = A.s / (L * A.W)
    q = np.maximum(y, 0.0) / (L / A.T)
    with np.errstate(divide="ignore"):
        order = np.argsort(-(rho / q), kind="stable")
    cap = np.log2(1.0 + np.cumsum(q[order]))
    need = np.cumsum(rho[order])
    rel = (cap - need) / need
    m = int(np.argmin(rel))
    return float(rel[m]), tuple(int(k) for k in order[: m + 1])


def cvxpy_method(inst: Any, ctx: SolveContext, *, subsets: str = "ordered",
                 cut_rounds: int = 30, cut_tol: float = 1e-8, **options: Any) -> MethodOutput:
    """Exact conic program (see the module docstring).

    Options: ``subsets`` ("ordered" with cutting planes, or "all" 2^K - 1 NOMA
    constraints), ``cut_rounds``, ``cut_tol`` (relative capacity slack accepted).
    """
    if options:
        raise InvalidOptionError(f"unknown options for cvxpy: {sorted(options)}")
    if subsets not in ("ordered", "all"):
        raise InvalidOptionError(f"subsets must be 'ordered' or 'all', got {subsets!r}",
                                 field="subsets")
    cp = cvxpy_module()
    A = arrays(inst)
    opts: dict[str, Any] = {}
    if ctx.remaining() is not None:
        opts["time_limit"] = max(ctx.remaining(), 1e-3)
    every = ([s for m in range(1, A.n + 1) for s in itertools.combinations(range(A.n), m)]
             if subsets == "all" and A.access == "noma" else [])
    stats: dict[str, Any] = {"cuts": 0}
    if A.access == "tdma":
        prob, v = _tdma_program(cp, A, False)
        run = _solve(prob, ctx, opts)
    else:
        cuts = list(every)
        for _ in range(cut_rounds + 1):
            prob, v, _extra = _noma_program(cp, A, False, cuts)
            run = _solve(prob, ctx, opts)
            if not run.status.has_solution or subsets == "all":
                break
            slack, where = _most_violated(A, float(v["l"].value) * A.T,
                                          np.asarray(v["y"].value, dtype=float))
            if slack >= -cut_tol or ctx.out_of_time():
                break
            cuts.append(where)
            stats["cuts"] = len(cuts)
    versions = dict(run.versions)
    if run.status is Status.INFEASIBLE:
        return _infeasible(cp, A, ctx, every, versions)
    if not run.status.has_solution:
        limit = run.limit or ctx.limit_hit() or Limit.OTHER
        return MethodOutput(Status.NO_SOLUTION, limit=limit, backend=run.backend,
                            solver_versions=versions,
                            message=f"conic solver: {run.native_status}")
    stats["native_status"] = run.native_status
    T = A.T
    sol = _solution(A, v)
    status = Status.OPTIMAL if run.status is Status.OPTIMAL else Status.FEASIBLE
    limit = None if status is Status.OPTIMAL else (run.limit or Limit.OTHER)
    if A.access == "noma":
        q = np.asarray(sol.power) / A.a
        slack, _ = _most_violated(A, sol.upload_time[0], q * (sol.upload_time[0] / T))
        if slack < -1e-7:  # inaccurate solver answer or cut rounds exhausted
            return MethodOutput(Status.NO_SOLUTION, limit=Limit.OTHER, backend=run.backend,
                                solver_versions=versions, stats=stats,
                                message=f"conic solver ({run.native_status}) returned rates "
                                        f"{-slack:.2g} outside the capacity region")
    return MethodOutput(status, sol, limit=limit, backend=run.backend,
                        solver_versions=versions, stats=stats)


def _solution(A: Arrays, v: dict[str, Any]) -> Solution:
    """The solver's point, polished onto the feasible set (solver tolerance ~1e-8).

    T_c is raised to ``max C/f_max`` and slots to the full-power minimum if the solver
    undershot; any excess over T is taken from the slack above those minima, in
    proportion. Powers follow from the slots exactly (TDMA) or from ``y`` (NOMA).
    """
    T = A.T
    tc = max(float(v["t"].value) * T, A.tc_min)
    if A.access == "tdma":
        tau_min = A.tau_min
        tau = np.maximum(np.asarray(v["x"].value, dtype=float) * T / A.n, tau_min)
        excess = tc + float(np.sum(tau)) - T
        if excess > 0:
            spare = np.concatenate(([tc - A.tc_min], tau - tau_min))
            cut = spare * min(1.0, excess / max(float(np.sum(spare)), 1e-300))
            tc -= cut[0]
            tau = tau - cut[1:]
        power = np.minimum(A.a * np.expm1(A.b * LN2 / tau), A.pmax)
        upload = tau
    else:
        L = float(v["l"].value) * T
        if tc + L > T:
            tc = max(T - L, A.tc_min)
            L = T - tc
        q = np.maximum(np.asarray(v["y"].value, dtype=float), 0.0) / (L / T)
        power = np.minimum(A.a * q * (1 + 1e-9), A.pmax)
        upload = np.full(A.n, L)
    f = np.minimum(A.C / tc, A.fmax)
    return Solution(tc, tuple(float(x) for x in f), tuple(float(x) for x in power),
                    tuple(float(x) for x in upload))


def _infeasible(cp: Any, A: Arrays, ctx: SolveContext, every: list[tuple[int, ...]],
                versions: dict[str, str]) -> MethodOutput:
    """INFEASIBLE; the smallest feasible deadline from the minimum-time program."""
    if A.access == "tdma":
        prob, _v = _tdma_program(cp, A, True)
        run = _solve(prob, ctx, {})
    else:
        cuts = list(every)
        for _ in range(30):
            prob, v, _extra = _noma_program(cp, A, True, cuts)
            run = _solve(prob, ctx, {})
            if not run.status.has_solution:
                break
            slack, where = _most_violated(A, float(v["l"].value) * A.T,
                                          np.asarray(v["y"].value, dtype=float))
            if slack >= -1e-8:
                break
            cuts.append(where)
    t_min = run.objective * A.T if run.objective is not None else math.nan
    msg = f"deadline T = {A.T:.6g} s cannot be met"
    if math.isfinite(t_min):
        msg += f"; the smallest feasible deadline is about {t_min:.6g} s"
    return MethodOutput(Status.INFEASIBLE, message=msg, backend="cvxpy",
                        solver_versions=versions,
                        stats={"min_deadline": t_min if math.isfinite(t_min) else None})
