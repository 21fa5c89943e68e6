"""Federated-learning energy and resource allocation (FDMA model of Yang et al., TWC 2021).

Source: Z. Yang, M. Chen, W. Saad, C. S. Hong, M. Shikh-Bahaei, "Energy Efficient Federated
Learning Over Wireless Communication Networks", IEEE Trans. Wireless Commun. 20(3), 2021.

Model (SI units). Devices k = 1..K with C_k cycles/sample, D_k samples, uplink gain g_k,
p_max_k (W), f_max_k (Hz); bandwidth B (Hz), noise PSD N0 (W/Hz), deadline T (s), model size
s (bit), switched capacitance kappa, constants v, a. Decision variables: local accuracy
eta in (0, 1) and, per device, CPU frequency f_k, transmit power p_k, bandwidth b_k and
upload time per round t_k. With rounds R = a/(1-eta) and local iterations
I = v·log2(1/eta)::

    minimise  E = R · sum_k ( I·kappa·C_k·D_k·f_k² + p_k·t_k )                [J]
    s.t.      R · ( I·C_k·D_k/f_k + t_k ) <= T                                [s]
              t_k · b_k · log2(1 + g_k p_k/(N0 b_k)) >= s                     [bit]
              sum_k b_k <= B,   0 < p_k <= p_max_k,   0 < f_k <= f_max_k.

Choices where the paper leaves room: eta is one value shared by all devices (as in the
paper); rounds and local iterations are continuous (not rounded up); the paper's objective
weighs energy and time — here the "min total energy under a deadline" variant (its problem
(12) with the completion time as a constraint); the computation energy per local iteration
is kappa·C·D·f² (no 1/2 factor). If the instance fixes ``eta``, only (f, p, b, t) are free.

Methods: ``fast`` (exact, default), ``cvxpy`` (exact, conic solver with outer
approximation), baselines ``equal-bandwidth``, ``max-frequency``, ``fixed-eta``.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.fl_energy.baselines import equal_bandwidth, fixed_eta, max_frequency
from formulations.fl_energy.convex import cvxpy_method
from formulations.fl_energy.evaluate import completion_times, objective, verify
from formulations.fl_energy.fast import fast
from formulations.fl_energy.generate import generate, yang_instance
from formulations.fl_energy.model import Device, Instance, Solution
from formulations.fl_energy.plot import plot

NAME = "fl_energy"
SENSE = "min"
DEFAULT_METHOD = "fast"

_YANG = "Yang, Chen, Saad, Hong, Shikh-Bahaei, IEEE TWC 2021"

METHODS: dict[str, Method] = {
    "fast": Method(fast, True, _YANG + " (exact KKT closed forms + Newton on the bandwidth "
                   "price, Lambert-W certified eta search)",
                   "exact: closed forms, bandwidth-price Newton, certified secant eta search"),
    "cvxpy": Method(cvxpy_method, True, "CVXPY + Clarabel, outer approximation (Kelley)",
                    "exact: conic program with tangent cuts, proven lower bound"),
    "equal-bandwidth": Method(equal_bandwidth, False, _YANG + " baseline EB-FDMA",
                              "baseline: bandwidth B/K each, the rest optimal"),
    "max-frequency": Method(max_frequency, False, _YANG + " baseline",
                            "baseline: every device at f_max, the rest optimal"),
    "fixed-eta": Method(fixed_eta, False, _YANG + " baseline",
                        "baseline: eta fixed (option eta, default 0.5), the rest optimal"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve with a registered method; the answer is verified and its energy recomputed."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "METHODS", "NAME", "SENSE", "Device", "Instance", "Solution",
    "completion_times", "generate", "objective", "plot", "solve", "verify", "yang_instance",
]
