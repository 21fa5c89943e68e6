"""``cvxpy``: the per-round convex program solved by a conic solver (Clarabel) via CVXPY.

Why not one DCP program? The upload energy ``(N0/g)·t·b·(2^(s/(t·b)) - 1)`` is jointly
convex in (t, b) — it is ``H(z) = z²(2^(s/z²) - 1)`` (convex, decreasing) of the concave
``z = sqrt(t·b)`` — but ``H`` is not representable with CVXPY's atoms: every rewriting
needs either ``phi(x) = (2^x - 1)/x`` or a product ``t·b`` on the wrong side (and
``log1p`` is mis-canonicalised in DGP mode: it is treated as ``log``). The perspective
form ``t·(2^(s/t) - 1)`` *is* DCP when the bandwidth is fixed; with both free it is not.

So the convex program is solved exactly by outer approximation (Kelley's cutting planes
in one dimension per device): in scaled units (``t = tau·t^``, ``b = (B/K)·b^``)::

    min  sum_k wc_k·c^_k^-2 + wt_k·e_k
    s.t. e_k >= H(z_j) + H'(z_j)(z_k - z_j)          tangent cuts of the convex H
         z_k <= sqrt(t^_k·b^_k)                      second-order cone
         c^_k + t^_k <= 1,  c^_k >= c^min_k,  sum_k b^_k <= K
         S/t^_k <= b^_k·log2(1 + P^_k/b^_k)          power limit (rel_entr, DCP)

The master's value is a lower bound (tangents under-estimate H); the true energy of its
(c, t, b), polished to exact feasibility, is an upper bound; clusters of cuts are added
around the master's z until the gap is below ``gap_tol`` (1e-7). Unit scaling (time by
tau, bandwidth by the equal share B/K, energy by a reference energy, the per-device
weights moved from the objective into the cut rows) keeps Clarabel away from
``optimal_inaccurate`` on most instances. When Clarabel stalls ("insufficient
progress", seen near the feasibility edge and with many devices) the master is re-solved
with shorter interior-point steps (``max_step_fraction`` 0.8, then 0.5, with more
iterations), then with fewer
cuts; if that fails too the method stops with the last accurate master — its bound is
still proven — and reports FEASIBLE with the gap unless the gap is below ``CERTIFY``
(1e-5, the method's optimality tolerance, like a MIP gap). eta is searched exactly as in ``fast``
(derivative from the conic solver's multipliers, Lambert-W dual bound).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgeopt_solve.backends.convex import cvxpy_module, solve_cvxpy
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_energy.fast import optimise
from formulations.fl_energy.kernels import LN2, Arrays, phi
from formulations.fl_energy.roundopt import Round, round_feasible

M0 = 10
CLUSTER = (0.0, -1e-2, 1e-2, -5e-2, 5e-2)
MIN_SEPARATION = 3e-4
CERTIFY = 1e-5  # OPTIMAL when the proven relative gap is below this (like a MIP gap)


def _H(z: np.ndarray, S: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``H(z) = z²(2^(S/z²) - 1)`` and ``H'(z)``."""
    y = np.minimum(S / np.maximum(z * z, 1e-300), 200.0)
    em = np.expm1(y * LN2)
    h = z * z * em
    dh = 2 * z * em - 2 * LN2 * S * (em + 1) / z
    return h, dh


def _polish(c: np.ndarray, t: np.ndarray, b: np.ndarray, cmin: np.ndarray, S: float,
            Phat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Make a master point exactly feasible (the conic solver is feasible to ~1e-8 only).

    Bandwidths are scaled to sum to at most 1, each upload time is raised to what the
    bandwidth needs at p_max, and the computing time takes what is left of the round.
    """
    b = np.maximum(b, 1e-300)
    b = b / max(1.0, float(np.sum(b)) / b.size)
    t_req = S / (b * np.log2(1.0 + Phat / b))
    t = np.maximum(np.maximum(t, t_req), 1e-300)
    c = np.maximum(cmin, np.minimum(c, 1.0 - t))
    return c, t, b


class _Master:
    """The outer-approximation master problem of one instance, rebuilt for each solve.

    (A parametrised DPP version with fixed cut slots was tried first: its inactive dummy
    rows made Clarabel stall with "insufficient progress" on some eta; building the
    problem with only the real cuts is a little slower to compile but reliable.)
    """

    def __init__(self, A: Arrays, max_cuts: int) -> None:
        self.A = A
        self.Bd = A.B / A.n  # bandwidth unit: the equal share
        self.m = M0 + len(CLUSTER) * max_cuts
        self.solves = 0
        self.time_con: Any = None
        self.power_rows = np.zeros(0, dtype=int)
        self.bw_con: Any = None
        self.e_value = np.zeros(A.n)

    def _solve(self, ctx: SolveContext, wc: np.ndarray, wt: np.ndarray, cmin: np.ndarray,
               S: float, slopes: np.ndarray, icpts: np.ndarray, used: int) -> tuple[Any, Any]:
        cp = cvxpy_module()
        A, n = self.A, self.A.n
        c = cp.Variable(n, pos=True)
        t = cp.Variable(n, pos=True)
        b = cp.Variable(n, pos=True)
        z = cp.Variable(n, pos=True)
        e = cp.Variable(n)
        self.time_con = c + t <= 1
        self.bw_con = cp.sum(b) <= n
        cons = [
            cp.SOC(t + b, cp.vstack([2 * z, t - b]), axis=0),
            self.time_con, c >= cmin, self.bw_con,
        ]
        if self.power_rows.size:
            # the power limit (exponential cones), see solve_round
            k = self.power_rows
            cons.append(S * cp.inv_pos(t[k]) <= -cp.rel_entr(b[k], b[k] + A.P[k] / self.Bd)
                        / LN2)
        # e_k is the device's *weighted* upload energy (wt_k·H): the weights span many
        # decades (channel gains do), and the cut rows absorb them where Clarabel's
        # equilibration can scale them, instead of the objective
        rows, cols = np.nonzero(np.isfinite(slopes[:, :used]))
        cons.append(e[rows] >= cp.multiply(wt[rows] * slopes[rows, cols], z[rows])
                    + wt[rows] * icpts[rows, cols])
        cons.append(e >= wt * S * LN2)  # H decreases to its asymptote S·ln 2: a valid floor
        q = cp.Variable(n, pos=True)
        cons.append(cp.SOC(q + c, cp.vstack([2 * np.ones(n), q - c]), axis=0))  # q >= 1/c
        obj = cp.sum(cp.multiply(wc, cp.square(q))) + cp.sum(e)
        problem = cp.Problem(cp.Minimize(obj), cons)
        run = solve_cvxpy(problem, ctx, chain=("CLARABEL",))
        self.solves += 1
        for fraction, iters in ((0.8, 400), (0.5, 800)):
            if run.status is not Status.ERROR and run.limit is None:
                break
            # Clarabel's "insufficient progress" / iteration limit: shorter interior-point
            # steps (and more of them) usually cure it
            run = solve_cvxpy(problem, ctx, chain=("CLARABEL",), max_step_fraction=fraction,
                              max_iter=iters)
            self.solves += 1
        if not run.status.has_solution or t.value is None:
            return run, None
        self.e_value = np.asarray(e.value, dtype=float) / np.maximum(wt, 1e-300)
        return run, (float(problem.value), np.asarray(c.value, dtype=float),
                     np.asarray(t.value, dtype=float), np.asarray(b.value, dtype=float))

    def solve_round(self, I: float, tau: float, ctx: SolveContext, gap_tol: float,
                    max_cuts: int) -> Round:
        A = self.A
        if not round_feasible(A, I, tau):
            return Round(False)
        cap = I * A.cd
        wc_raw = A.kappa * cap ** 3 / tau ** 2
        wt_raw = A.N0 * tau * self.Bd / A.gain
        S = A.s / (tau * self.Bd)
        eref = float(np.sum(wc_raw) + np.sum(A.K) * LN2)
        wc, wt, cmin = wc_raw / eref, wt_raw / eref, cap / A.f_max / tau
        # initial tangents spread over each device's possible spectral efficiencies:
        # y >= S (t <= tau, b <= B) and y <= y_max, the fixed point of
        # y = log2(1 + P^·y/S) (power limit with b >= S/y)
        y_max = np.full(A.n, 60.0)
        for _ in range(60):
            y_max = np.log2(1.0 + (A.P / self.Bd) * y_max / S)
        y_lo = np.minimum(np.maximum(S / A.n, 1e-3), 0.5 * y_max)
        ys = np.exp(np.linspace(np.log(y_lo), np.log(np.minimum(y_max, 16.0)), M0).T)
        zs = np.sqrt(S / ys)
        slopes = np.full((A.n, self.m), np.nan)
        icpts = np.full((A.n, self.m), np.nan)
        points = np.full((A.n, self.m), np.inf)
        points[:, :M0] = zs
        h0, dh0 = _H(zs, S)
        slopes[:, :M0], icpts[:, :M0] = dh0, h0 - dh0 * zs
        best: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
        lower = -math.inf
        inaccurate = False
        used = M0
        duals: tuple[Any, Any] | None = None
        # the power limit (an exponential cone per device) from the start for every device
        # where it may matter; for very strong channels (P^ > 1e4: max-power SNR above
        # 40 dB at the equal share) the huge constant P^ stalls Clarabel, so theirs is added
        # only once a master violates it (a relaxation until then: the bound stays valid)
        Phat = A.P / self.Bd
        self.power_rows = np.flatnonzero(Phat <= 1e4)
        retry: int | None = None
        offsets = CLUSTER
        for _ in range(2 * max_cuts + 2):
            run, sol = self._solve(ctx, wc, wt, cmin, S, slopes, icpts, used)
            trusted = sol is not None and run.limit is None
            if not trusted and retry is not None and retry < used:
                # Clarabel sometimes stalls once close cuts pile up: drop the last cluster
                # but its centre, try once more, and add single cuts from now on
                slopes[:, retry:used] = np.nan
                points[:, retry:used] = np.inf
                used, retry = retry, None
                offsets = CLUSTER[:1]
                continue
            if sol is None:
                break
            retry = None
            value, c, t, b = sol
            if trusted:
                lower = value  # a proven bound only from an accurate master
            else:
                inaccurate = True
            # power limit g(t,b) = S/t - b·log2(1 + P/b) <= 0 of the strong channels, added
            # (exactly) once a master violates it; leaving it out is a relaxation, so the
            # bound stays valid (tangent cuts instead were tried: Clarabel stalled sooner)
            tm, bm = np.maximum(t, 1e-12), np.maximum(b, 1e-12)
            g = S / tm - bm * np.log2(1.0 + Phat / bm)
            viol = np.setdiff1d(np.flatnonzero(g > 1e-7 * S / tm), self.power_rows)
            if viol.size:
                self.power_rows = np.union1d(self.power_rows, viol)
            c, t, b = _polish(c, t, b, cmin, S, Phat)
            zt = np.sqrt(t * b)
            h, dh = _H(zt, S)
            upper = float(np.sum(wc * c ** -2.0) + np.sum(wt * h))
            point_ok = bool(np.all(c + t <= 1.0 + 1e-9))
            if point_ok and (best is None or upper < best[0]):
                best = (upper, c, t, b)
                duals = (self.time_con.dual_value, self.bw_con.dual_value)
            if (best is not None and best[0] - lower <= gap_tol * abs(best[0])
                    and not viol.size) \
                    or used >= self.m or ctx.out_of_time() or not trusted:
                break
            # a cut only where it helps: finite, not too steep, the device's own
            # approximation error is not negligible, and no cut point is (nearly) there
            own_gap = wt * (h - self.e_value)
            good = (np.isfinite(dh) & np.isfinite(h) & (S / (zt * zt) <= 30.0)
                    & (own_gap > 0.01 * gap_tol * abs(upper) / A.n))
            if not np.any(good):
                if viol.size:
                    continue
                break
            # a cluster of tangents around the master's point: the next master is then
            # accurate to ~(offset)², so 3-4 solves per eta reach the 1e-8 gap
            before = used
            for off in offsets:
                if used >= self.m:
                    break
                zc = zt * (1.0 + off)
                hc, dhc = _H(zc, S)
                apart = np.min(np.abs(points[:, :used] - zc[:, None]), axis=1) > \
                    MIN_SEPARATION * zc
                ok = good & np.isfinite(hc) & np.isfinite(dhc) & apart
                if not np.any(ok):
                    continue
                points[:, used] = np.where(ok, zc, np.inf)
                slopes[:, used] = np.where(ok, dhc, np.nan)
                icpts[:, used] = np.where(ok, hc - dhc * zc, np.nan)
                used += 1
            if used == before and not viol.size:
                break
            retry = before + 1 if used > before else None
        if best is None or duals is None:
            return Round(False, kkt={"conic_solver_failed": 1.0})
        upper, c, t, b = best
        out = self._round(I, tau, eref, c, t, b, lower, upper, used, duals)
        # the master's value is a proven lower bound on the round's optimum (J)
        out.lower = lower * eref if math.isfinite(lower) else None
        if inaccurate and not best[0] - lower <= gap_tol * abs(best[0]):
            out.kkt["conic_solver_inaccurate"] = 1.0
        return out

    def _round(self, I: float, tau: float, eref: float, c: np.ndarray, t: np.ndarray,
               b: np.ndarray, lower: float, upper: float, cuts: int,
               duals: tuple[Any, Any]) -> Round:
        A = self.A
        cap = I * A.cd
        c, t, b = c * tau, t * tau, b * self.Bd
        x = A.s / (t * b)
        mu = np.maximum(np.asarray(duals[0], dtype=float), 0.0) * eref / tau
        lam = max(float(duals[1]), 0.0) * eref / self.Bd
        comp = A.kappa * cap ** 3 / c ** 2
        tx = A.K * phi(x)
        energy = float(np.sum(comp + tx))
        f = np.minimum(cap / c, A.f_max)
        f_star = np.minimum(np.cbrt(np.maximum(mu, 1e-300) / (2 * A.kappa)), A.f_max)
        dG_dI = float(np.sum(A.cd * (A.kappa * f_star ** 2 + mu / f_star)))
        beta = float(np.sum(tx + mu * t + lam * b)) - lam * A.B
        interior = c > cap / A.f_max * (1 + 1e-6)
        stat = np.abs(2 * A.kappa * cap ** 3 / c ** 3 - mu) / np.maximum(mu, 1e-300)
        kkt = {"outer_approx_gap": max(0.0, (upper - lower) / max(abs(upper), 1e-300)),
               "bandwidth": max(0.0, float(np.sum(b)) / A.B - 1.0),
               "time": max(0.0, float(np.max((c + t) / tau)) - 1.0),
               "stationarity": float(np.max(np.where(interior, stat, 0.0), initial=0.0))}
        del f
        return Round(True, c, t, b, x, mu, lam, energy, dG_dI, -float(np.sum(mu)), beta, kkt,
                     0, int(np.sum(~interior)), )


def cvxpy_method(inst: Any, ctx: SolveContext, *, gap_tol: float = 1e-7,
                 max_cuts: int = 40, **options: Any) -> MethodOutput:
    """Outer approximation with CVXPY + Clarabel (see the module docstring)."""
    from formulations.fl_energy.kernels import arrays

    A = arrays(inst)
    master = _Master(A, max_cuts)

    def solver(_: Arrays) -> Any:
        return lambda I, tau: master.solve_round(I, tau, ctx, gap_tol, max_cuts)

    out = optimise(inst, ctx, solver, backend="clarabel", gap_tol=CERTIFY, kkt_tol=CERTIFY,
                   kkt_keys=("outer_approx_gap", "conic_solver_inaccurate"),
                   extra_stats=lambda: {"conic_solves": master.solves})
    if ctx.out_of_time() and out.status is Status.OPTIMAL:
        return MethodOutput(Status.FEASIBLE, out.solution, bound=out.bound, limit=Limit.TIME,
                            backend=out.backend, stats=out.stats)
    return out
