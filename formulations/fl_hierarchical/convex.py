"""The per-edge resource problem as a CVXPY program (Clarabel), a cross-check of the fast solver.

Same problem as :mod:`edge_alloc`, written directly in DCP form with unit scaling
(bandwidth in units of B, frequency in units of f_max, time in units of a reference time,
cost in units of a reference cost)::

    minimise  lambda_t·T + lambda_e·sum_i (a_i·f_i² + p_i·tm_i)
    s.t.      w_i·inv_pos(f_i) + tm_i <= T
              tm_i >= s·ln2 · inv_pos(-rel_entr(b_i, b_i + A_i))    (rate b·log2(1+A/b), concave)
              sum_i b_i <= B,   0 <= f_i <= f_max_i

Used by the ``exact-cvxpy`` method (set partitioning over cvxpy column costs) and the tests.
"""

from __future__ import annotations

import math

import numpy as np

from edgeopt_solve.backends.convex import cvxpy_module, solve_cvxpy
from edgeopt_solve.context import SolveContext
from edgeopt_solve.status import Status
from formulations.fl_hierarchical.edge_alloc import EdgeAllocation, EdgeProblem

LN2 = math.log(2.0)


def solve_edge_cvxpy(P: EdgeProblem, ctx: SolveContext | None = None) -> EdgeAllocation | None:
    """Optimal allocation by Clarabel, polished to exact feasibility; None on solver failure."""
    cp = cvxpy_module()
    ctx = ctx or SolveContext()
    n = P.n
    t_ref = float(np.max(P.cmin + P.tau0))
    Ah = P.A / P.B
    fh = cp.Variable(n, pos=True)
    bh = cp.Variable(n, pos=True)
    tm = cp.Variable(n, pos=True)
    T = cp.Variable(pos=True)
    rate = -cp.rel_entr(bh, bh + Ah)  # = b·ln(1 + A/b)/B
    cons = [
        cp.multiply(P.cmin / t_ref, cp.inv_pos(fh)) + tm <= T,
        tm >= (P.s * LN2 / (P.B * t_ref)) * cp.inv_pos(rate),
        cp.sum(bh) <= 1.0,
        fh <= 1.0,
    ]
    c_ref = P.wt * t_ref + P.we * float(np.sum(P.a * P.f_max ** 2 + P.p * t_ref))
    obj = (P.wt * t_ref * T + P.we * cp.sum(cp.multiply(P.a * P.f_max ** 2, cp.square(fh)))
           + P.we * t_ref * cp.sum(cp.multiply(P.p, tm))) / c_ref
    problem = cp.Problem(cp.Minimize(obj), cons)
    run = solve_cvxpy(problem, ctx)
    if run.status is not Status.OPTIMAL or bh.value is None:
        return None
    b = np.maximum(np.asarray(bh.value, dtype=float), 1e-300) * P.B
    b *= min(1.0, P.B / float(np.sum(b)))
    f = np.minimum(P.f_max, np.maximum(np.asarray(fh.value, dtype=float), 1e-300) * P.f_max)
    tm_real = P.s / (b * np.log2(1.0 + P.A / b))
    T_real = float(np.max(P.w / f + tm_real))
    value = P.wt * T_real + P.we * float(np.sum(P.a * f * f + P.p * tm_real))
    return EdgeAllocation(value, T_real, f, b, math.nan, 0.0)
