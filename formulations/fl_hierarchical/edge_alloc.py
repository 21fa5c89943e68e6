"""Optimal resource allocation of one edge server for a given set of devices (the inner solver).

Per edge iteration, with ``w_i = L·c_i·D_i`` cycles, ``a_i = L·(alpha/2)·c_i·D_i``,
``A_i = g_ij·p_i/N0`` (Hz) and the SNR at the allocated bandwidth ``u_i = A_i/b_i``::

    minimise   lambda_t·T + lambda_e·sum_i (a_i·f_i² + p_i·tm_i)
    s.t.       w_i/f_i + tm_i <= T,   tm_i = s/(b_i·log2(1 + A_i/b_i)),
               sum_i b_i <= B,   0 < f_i <= f_max_i.

The edge cost per cloud round is ``I·(optimal value) + lambda_e·E_cloud + lambda_t·T_cloud``.

Structure (what the solver relies on; proof sketch). With ``tc_i = w_i/f_i`` the energy
``a_i·w_i²/tc_i²`` is convex decreasing in tc_i, and the bandwidth a device needs for upload
time tm, ``beta_i(tm) = A_i/u`` with ``tm(u) = s·ln2·u/(A_i·ln(1+u))`` increasing in u, is
convex decreasing in tm (the inverse of the concave increasing rate ``b·log2(1 + A/b)``).
So the problem is convex in (T, tc, tm) and Slater holds; KKT is necessary and sufficient:

1. Every time constraint is tight (lower f always saves energy and tc can grow), with
   multiplier ``nu_i > 0``; ``sum_i nu_i = lambda_t`` (stationarity in T).
2. The bandwidth constraint is tight with price ``mu > 0`` (more bandwidth always lowers both
   upload time and upload energy), and stationarity in tm reads
   ``mu·psi_i(u_i) = lambda_e·p_i + nu_i`` with ``psi_i = -d beta_i/d tm`` decreasing in u.
3. Stationarity in tc: ``nu_i = 2·lambda_e·a_i·w_i²/tc_i³`` unless f_i = f_max (then larger).

For fixed (T, mu) each device's u_i is the unique root of the decreasing function
``log(mu·psi(u)) - log(lambda_e·p + nu(u))`` with ``nu(u) = K_i/(T - tm(u))³`` on
``(0, u_hi(T)]``, where ``tm(u_hi) = T - w_i/f_max_i`` (the root is u_hi when the device
computes at f_max). ``sum_i A_i/u_i(T, mu)`` decreases in mu: mu is the root of
``sum_i b_i = B``. ``sum_i nu_i(T)`` then decreases in T (it is minus the derivative of the
convex value function): T is the root of ``sum_i nu_i = lambda_t`` on (T_min, inf), where
T_min (every device at f_max, all bandwidth used: ``sum_i A_i/u_hi_i(T) = B``) is the
shortest feasible edge time. If ``sum_i nu_i <= lambda_t`` already just above T_min, the
optimum is T = T_min itself (time so expensive that every device runs at f_max; the
frequency bounds' multipliers absorb the rest of lambda_t).

Two solvers of these conditions (both exact; modules by concept):

* :mod:`edge_joint` (tried first): Newton's method on the two scalar conditions in
  (log T, log mu) *jointly*, with the per-device roots solved exactly (vectorised) at every
  iterate and the 2x2 Jacobian from implicit differentiation; step caps and Armijo
  backtracking. It answers only at a point meeting every KKT condition (residuals
  <= 1e-12), else returns nothing. About 5-7 vectorised device solves per problem.
* :mod:`edge_nested` (the robust fallback, and the previous default): three nested
  monotone 1-D roots (T outside, mu, each device inside), each by Newton with a bracket
  (bisection fallback; steps towards an unbounded side are capped); it treats the optimum
  on the edge T = T_min explicitly.

:mod:`edge_kernels` holds the shared per-device functions. (T, mu) of a similar device set
warm-starts both (``hint``); a hint that leads the joint Newton astray is retried cold.

Accuracy: the KKT residuals (relative error of ``sum b = B`` and ``sum nu = lambda_t``) are
returned as ``kkt`` (typically 1e-12); the tests compare against CVXPY/Clarabel (agreement
1e-9 relative, the fast value never worse) and the joint against the nested solver.

With ``fixed_frequency=True`` every device computes at f_max (the ``max-frequency``
baseline): then nu_i = 0 unless the device's time is binding (u_i = u_hi).
"""

from __future__ import annotations

import math

import numpy as np

from formulations.fl_hierarchical.edge_joint import solve_joint
from formulations.fl_hierarchical.edge_kernels import EdgeAllocation, EdgeProblem, upload_time
from formulations.fl_hierarchical.edge_nested import _Solver

__all__ = ["EdgeAllocation", "EdgeProblem", "equal_bandwidth", "solve_edge", "upload_time"]


def solve_edge(P: EdgeProblem, *, fixed_frequency: bool = False,
               hint: tuple[float, float] | None = None) -> EdgeAllocation:
    """Optimal allocation of one edge server (see the module docstring).

    ``hint`` = (T, price) of a similar problem (e.g. one device more or less) speeds it up.
    The joint 2-D Newton of :mod:`edge_joint` is tried first; it answers only at a point
    meeting every KKT condition, otherwise the nested solver settles it.
    """
    fast = solve_joint(P, fixed_frequency, hint)
    if fast is None and hint is not None:
        fast = solve_joint(P, fixed_frequency, None)  # the hint may be far off: cold start
    if fast is not None:
        return fast
    return _Solver(P, fixed_frequency, hint).solve()


def equal_bandwidth(P: EdgeProblem) -> EdgeAllocation:
    """Bandwidth B/n each; optimal T and frequencies (the ``uniform-bandwidth`` baseline).

    With b fixed, tm_i is fixed and ``lambda_t·T + lambda_e·sum a_i·min(f_max, w_i/(T-tm_i))²``
    is convex in T; its derivative ``lambda_t - sum_{f_i < f_max} 2·lambda_e·a_i·w_i²/(T-tm_i)³``
    increases in T, and T is its root (or the smallest feasible T when it is positive there).
    """
    b = np.full(P.n, P.B / P.n)
    tm = P.s / (b * np.log2(1.0 + P.A / b))
    K = 2.0 * P.we * P.a * P.w ** 2
    T0 = float(np.max(tm + P.cmin))

    def g(T: float) -> float:
        slack = T - tm
        free = slack > P.cmin
        return P.wt - float(np.sum(np.where(free, K / np.maximum(slack, 1e-300) ** 3, 0.0)))

    if g(T0) >= 0:
        T = T0
    else:
        lo, hi = T0, 2.0 * T0
        while g(hi) < 0:
            lo, hi = hi, 2.0 * hi
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if g(mid) < 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15 * hi:
                break
        T = hi
    f = np.minimum(P.f_max, P.w / np.maximum(T - tm, 1e-300))
    T_real = float(np.max(P.w / f + tm))
    value = P.wt * T_real + P.we * float(np.sum(P.a * f * f + P.p * tm))
    return EdgeAllocation(value, T_real, f, b, math.nan, 0.0)
