"""One energy-minimal federated-learning round over a TDMA or NOMA uplink (Mo & Xu 2021).

Source: X. Mo and J. Xu, "Energy-Efficient Federated Edge Learning with Joint
Communication and Computation Design", Journal of Communications and Information Networks
6(2), 2021 (arXiv:2003.00199).

Model (SI units). Devices k = 1..K; in one round of length T (deadline) each device runs
its local update of ``C_k = c_k·D_k·E_k`` CPU cycles (cycles/sample × samples × local
epochs) at frequency f_k <= f_max_k, then uploads s_k bits to the edge server over
bandwidth W with gain h_k and noise PSD N0, at power p_k <= p_max_k.

Timeline (our deliberate choice): the round has a computation phase [0, T_c] in which
every device finishes computing (``C_k/f_k <= T_c``) and an upload phase [T_c, T]:

* TDMA — each device owns one slot of length tau_k; the slots follow each other inside
  [T_c, T] (``T_c + sum tau_k <= T``), in device order (any order gives the same energy
  because no device starts uploading before T_c). A common T_c keeps the two access
  modes on the same timeline, so their energies compare like for like, and matches a
  frame-based uplink scheduled after the server's broadcast. A per-device schedule
  (a device computing while earlier slots are on air) is more general — it could only
  save energy — but makes the slot order a combinatorial decision; it is not modelled.
* NOMA — all devices transmit together over [T_c, T_c + L] (``T_c + L <= T``) at rates
  ``r_k = s_k/L``, decoded by successive interference cancellation; the rates must lie in
  the capacity region ``sum_{k in S} r_k <= W·log2(1 + sum_{k in S} h_k·p_k/(N0·W))`` for
  every subset S. The minimum-power point decodes the strongest channel first (the
  weakest device, decoded last, sees no interference) — see :mod:`sic`.

Objective (J): ``sum_k kappa·C_k·f_k² + sum_k p_k·u_k`` with u_k the slot length (TDMA) or
L (NOMA). The TDMA slot energy at the minimum power that carries s_k bits is
``tau_k·(N0·W/h_k)·(2^(s_k/(tau_k·W)) - 1)``, a perspective of an exponential (convex).

Where the paper was not available to check (see also :mod:`generate`): the choice of a
common computation phase for TDMA, the absence of a receive/idle energy term, the CPU
energy ``kappa·C·f²`` (no 1/2 factor) and a single round (no accuracy/round-count model).

Methods: ``fast`` (exact, default: closed forms, Lambert-W slots, time-price bisection /
certified golden-section search), ``cvxpy`` (exact: exponential-cone
program with cutting planes for NOMA power limits), baselines ``equal-slots``,
``max-frequency``, ``fixed-split``.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.fl_uplink.baselines import equal_slots, fixed_split, max_frequency
from formulations.fl_uplink.convex import cvxpy_method
from formulations.fl_uplink.evaluate import capacity_slack, objective, timeline, verify
from formulations.fl_uplink.fast import fast
from formulations.fl_uplink.generate import generate, mo_xu_instance
from formulations.fl_uplink.model import ACCESS, Device, Instance, Solution
from formulations.fl_uplink.plot import plot

NAME = "fl_uplink"
SENSE = "min"
DEFAULT_METHOD = "fast"

_MOXU = "Mo & Xu, JCIN 6(2) 2021 (arXiv:2003.00199)"

METHODS: dict[str, Method] = {
    "fast": Method(fast, True, _MOXU + "; SIC order: Tse & Hanly, IEEE T-IT 1998",
                   "exact: Lambert-W slots + time-price bisection (TDMA), SIC greedy + "
                   "certified 1-D search (NOMA)"),
    "cvxpy": Method(cvxpy_method, True, "CVXPY + Clarabel, exponential-cone program (perspectives of exp)",
                    "exact: conic program (ordered SIC constraints + cutting planes)"),
    "equal-slots": Method(equal_slots, False, _MOXU + " benchmark (equal time allocation)",
                          "baseline: TDMA slots of equal length (NOMA: that TDMA schedule "
                          "as average powers), best split"),
    "max-frequency": Method(max_frequency, False, _MOXU + " benchmark (communication-only)",
                            "baseline: every device at f_max, the upload optimal"),
    "fixed-split": Method(fixed_split, False, _MOXU + " benchmark (no joint design)",
                          "baseline: T_c in the middle of its feasible range, rest optimal"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve with a registered method; the answer is verified and its energy recomputed."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "ACCESS", "DEFAULT_METHOD", "METHODS", "NAME", "SENSE", "Device", "Instance", "Solution",
    "capacity_slack", "generate", "mo_xu_instance", "objective", "plot",
    "solve", "timeline", "verify",
]
