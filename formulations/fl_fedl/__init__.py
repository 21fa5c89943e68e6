"""FEDL: federated learning over wireless networks, energy/time trade-off (TDMA uplink).

Source: N. H. Tran, W. Bao, A. Zomaya, M. N. H. Nguyen, C. S. Hong, "Federated Learning
over Wireless Networks: Optimization Model Design and Analysis", IEEE INFOCOM 2019.

Model (SI units; model size in nats). Devices n = 1..N with c_n cycles/sample, D_n samples,
uplink gain h_n, CPU range [f_min_n, f_max_n] (Hz), power range [p_min_n, p_max_n] (W);
bandwidth B (Hz), noise power N0 (W), model size s (nats), switched capacitance alpha,
trade-off weight kappa (J/s), constants v, a. Decision variables: local accuracy
theta in (0, 1) and, per device, CPU frequency f_n and TDMA slot tau_n (power p_n follows).
One global round costs

    E_cp = sum_n (alpha/2)·c_n·D_n·f_n²   (per local iteration)   T_cp = max_n c_n·D_n/f_n
    E_co = sum_n tau_n·p_n(tau_n)                                    T_co = sum_n tau_n
    p_n(tau) = (N0/h_n)·(exp(s/(tau·B)) - 1)   (rate B·ln(1 + h_n·p_n/N0) nats/s)

and FEDL is

    minimise  K(theta)·[ E_co + L(theta)·E_cp + kappa·(T_co + L(theta)·T_cp) ]        [J]
    s.t.      f_min_n <= f_n <= f_max_n,   p_min_n <= p_n(tau_n) <= p_max_n,   0 < theta < 1

with K(theta) = a/(1 - theta) global rounds and L(theta) = v·ln(1/theta) local iterations
per round. Choices where the paper leaves room: natural logarithm everywhere (rate in
nats/s, L with ln); rounds and iterations continuous; the constants a, v are instance
fields; the paper's alpha/2 factor is kept. If the instance fixes ``theta`` only (f, tau)
are free. The decomposition into SUB1 (CPU), SUB2 (TDMA), SUB3 (theta) is exact — proof in
:mod:`formulations.fl_fedl.closed_form`.

Methods: ``fast`` (exact closed forms, default), ``cvxpy`` (exact, exponential-cone
program + certified 1-D theta search), baselines ``max-frequency``, ``max-power``,
``equal-time``, ``fixed-theta``.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.fl_fedl.baselines import equal_time, fixed_theta, max_frequency, max_power
from formulations.fl_fedl.convex import cvxpy_method
from formulations.fl_fedl.evaluate import objective, round_terms, verify
from formulations.fl_fedl.fast import fast
from formulations.fl_fedl.generate import generate, paper_instance
from formulations.fl_fedl.model import Device, Instance, Solution
from formulations.fl_fedl.plot import plot

NAME = "fl_fedl"
SENSE = "min"
DEFAULT_METHOD = "fast"

_FEDL = "Tran, Bao, Zomaya, Nguyen, Hong, IEEE INFOCOM 2019 (FEDL)"
_BASE = "common baseline (not from the FEDL paper)"

METHODS: dict[str, Method] = {
    "fast": Method(fast, True, _FEDL + ": closed forms of SUB1/SUB2/SUB3 (Lambert W)",
                   "exact: closed forms, O(N log N)"),
    "cvxpy": Method(cvxpy_method, True, "CVXPY + Clarabel exponential-cone program for "
                    "SUB1+SUB2, bisection for theta (" + _FEDL + ")",
                    "exact: conic solver, theta by bisection on a proven bracket"),
    "max-frequency": Method(max_frequency, False, _BASE,
                            "baseline: every CPU at f_max, the rest optimal"),
    "max-power": Method(max_power, False, _BASE,
                        "baseline: every device transmits at p_max, the rest optimal"),
    "equal-time": Method(equal_time, False, _BASE,
                         "baseline: equal TDMA slots (best common length), the rest optimal"),
    "fixed-theta": Method(fixed_theta, False, _BASE,
                          "baseline: theta fixed (option theta, default 0.5), the rest optimal"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve with a registered method; the answer is verified and its cost recomputed."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "METHODS", "NAME", "SENSE", "Device", "Instance", "Solution",
    "generate", "objective", "paper_instance", "plot", "round_terms", "solve", "verify",
]
