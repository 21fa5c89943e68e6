"""Cheap exact lower bounds on the cost of adding one device to an edge server's set.

Used by ``hfel`` to skip per-edge solves of moves that cannot lower the cost.

Claim. Let S be a non-empty device set of edge server j with optimal per-edge-iteration value
V(S), optimal bandwidth price mu_S and time multipliers nu_S (sum nu_S = lambda_t), and let
i be a device not in S. Then::

    V(S + i) >= V(S) + phi_i(mu_S),
    phi_i(mu) = min_{0 < b <= B} [ mu·b + lambda_e·p_i·tm_i(b) ]  >=  lambda_e·p_i·tm_i(B),

so ``C_j(S + i) >= C_j(S) + I·phi_i(mu_S)`` (the cloud terms are the same constant).

Proof. Weak duality for the convex problem of S + i (see :mod:`edge_alloc`): for any mu >= 0
and nu >= 0 with sum nu = lambda_t, its optimal value is at least the dual function
``sum_k min_{tc,tm} [lambda_e·E_k + nu_k·(tc + tm) + mu·beta_k(tm)] - mu·B`` (the T term
vanishes because sum nu = lambda_t). Take (mu_S, nu_S) on S and nu_i = 0: the terms of S
sum to the dual function of the problem of S at its optimal multipliers, which is V(S)
(strong duality, Slater holds), and device i's term is
``min_{tc,tm} [lambda_e·(a_i·w_i²/tc² + p_i·tm) + mu_S·beta_i(tm)] = phi_i(mu_S)`` (tc -> inf;
restricting b <= B only raises the minimum and is valid because b_i <= B in S + i). The
second bound, ``V(S + i) >= V(S) + lambda_e·p_i·tm_i(B)``, follows directly: the optimum of
S + i restricted to S is feasible for S, and device i's upload energy is at least that at
the full bandwidth. It needs no multiplier, so it also covers the optimum on the feasibility
edge T = T_min (where the price is not finite).

Numerics. phi is a 1-D convex minimisation; it is solved by Newton on its stationarity
condition ``mu·psi(u) = lambda_e·p`` (u = A/b), and the value returned is the *tangent*
lower bound of the convex g(b) = mu·b + lambda_e·p·tm(b) at the point found (valid whatever
its accuracy). V(S) and mu_S come from the solver (KKT residuals ~1e-12), so the caller
prunes only with a relative margin of 1e-9 on top of the bound.
"""

from __future__ import annotations

import math

from formulations.fl_hierarchical.common import CostCache
from formulations.fl_hierarchical.model import Instance

LN2 = math.log(2.0)


def _logpsi(x: float, logpsi0: float) -> tuple[float, float, float]:
    """log psi(e^x), d log psi/dx and u (psi = -d b/d tm, decreasing in u)."""
    u = math.exp(x)
    ell = math.log1p(u)
    ui = u / (1.0 + u)
    m = u * u * (0.5 - u * (2.0 / 3.0 - u * (0.75 - 0.8 * u))) if u < 1e-3 else ell - ui
    r = ui / ell
    return logpsi0 + 2.0 * (math.log(ell) - x) - math.log(m), 2.0 * r - 2.0 - ui * ui / m, u


def device_bound(A: float, p: float, s: float, B: float, we: float, mu: float) -> float:
    """A lower bound on phi(mu) = min_{0 < b <= B} mu·b + we·p·tm(b) (module docstring)."""
    tm_full = s / (B * math.log2(1.0 + A / B))
    floor = we * p * tm_full
    if not (math.isfinite(mu) and mu > 0):
        return floor
    c = we * p
    target = math.log(c / mu)
    logpsi0 = 2.0 * math.log(A) - math.log(s * LN2)
    x_lo = math.log(A / B)
    f, d, u = _logpsi(x_lo, logpsi0)
    x = x_lo
    if f > target:  # the unconstrained minimiser needs less than B: Newton, bracketed
        lo, hi = x_lo, math.inf
        for _ in range(60):
            f, d, u = _logpsi(x, logpsi0)
            f -= target
            if f > 0:
                lo = x
            else:
                hi = x
            step = -f / d if d < 0 else math.inf
            nx = x + step
            if not (lo < nx < hi):
                nx = lo + 1.0 if math.isinf(hi) else 0.5 * (lo + hi)
            if abs(nx - x) <= 1e-12 * max(1.0, abs(x)):
                break
            x = nx
        u = math.exp(x)
    b0 = A / u
    ell = math.log1p(u)
    g0 = mu * b0 + c * s * LN2 * u / (A * ell)
    logpsi, _, _ = _logpsi(x, logpsi0)
    slope = mu - c * math.exp(-logpsi)  # g'(b) = mu - we·p/psi(u)
    tangent = g0 - slope * b0 if slope >= 0 else g0 + slope * (B - b0)
    return max(floor, tangent)


class AddBounds:
    """Memoised lower bounds on ``C_j(S + i)`` from the cached optimum of (j, S).

    ``cost_with(j, S, i)`` = ``C_j(S) + I·phi_i(mu_S)`` for non-empty S (module docstring),
    and the edge's cloud terms for empty S (every non-empty set costs at least those).
    """

    def __init__(self, inst: Instance, cache: CostCache) -> None:
        self.inst = inst
        self.cache = cache
        self.memo: dict[tuple[int, int, float], float] = {}

    def cost_with(self, j: int, base: set[int], i: int) -> float:
        """A lower bound on the cost of edge j serving ``base`` plus device i."""
        inst = self.inst
        e = inst.edges[j]
        if not base:
            return inst.energy_weight * e.cloud_energy + inst.time_weight * e.cloud_time
        cost, alloc = self.cache.get(j, base)
        price = math.inf if alloc is None else alloc.price
        key = (j, i, price)
        add = self.memo.get(key)
        if add is None:
            d = inst.devices[i]
            gain = d.gains[j]
            assert gain is not None
            add = inst.edge_iterations * device_bound(gain * d.power / inst.noise_psd, d.power,
                                                      inst.model_bits, e.bandwidth,
                                                      inst.energy_weight, price)
            self.memo[key] = add
        return cost + add
