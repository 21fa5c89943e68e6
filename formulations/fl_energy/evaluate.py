"""Independent evaluator: total energy and every constraint, from the decision values only.

Shares no code with the methods. With rounds ``R = a/(1 - eta)`` and local iterations
``I = v·log2(1/eta)``::

    energy  = R · sum_k ( I·kappa·C_k·D_k·f_k²  +  p_k·t_k )                 [J]
    time_k  = R · ( I·C_k·D_k/f_k + t_k ) <= T                               [s]
    t_k · b_k · log2(1 + g_k·p_k/(N0·b_k)) >= s                              [bit]
    sum_k b_k <= B,   0 < p_k <= p_max_k,   0 < f_k <= f_max_k,   0 < eta < 1

Tolerances are relative (``tol`` times the constraint's right-hand side).
"""

from __future__ import annotations

import math

from edgeopt_solve.protocol import Violation
from formulations.fl_energy.model import Instance, Solution


def _rounds(inst: Instance, eta: float) -> tuple[float, float]:
    return inst.global_round_const / (1.0 - eta), inst.local_iter_const * math.log2(1.0 / eta)


def objective(inst: Instance, sol: Solution) -> float:
    """Total energy of all devices over the whole training, J."""
    rounds, local = _rounds(inst, sol.eta)
    per_round = 0.0
    for d, f, p, t in zip(inst.devices, sol.frequency, sol.power, sol.upload_time, strict=True):
        per_round += local * inst.kappa * d.cycles_per_sample * d.samples * f * f + p * t
    return rounds * per_round


def completion_times(inst: Instance, sol: Solution) -> list[float]:
    """Total training time of each device (rounds times compute plus upload per round), s."""
    rounds, local = _rounds(inst, sol.eta)
    return [rounds * (local * d.cycles_per_sample * d.samples / f + t)
            for d, f, t in zip(inst.devices, sol.frequency, sol.upload_time, strict=True)]


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint; ``[]`` when the solution is feasible."""
    out: list[Violation] = []
    n = inst.n
    for name in ("frequency", "power", "bandwidth", "upload_time"):
        got = len(getattr(sol, name))
        if got != n:
            out.append(Violation(f"size[{name}]", f"{got} values for {n} devices"))
    if out:
        return out
    values = [sol.eta, *sol.frequency, *sol.power, *sol.bandwidth, *sol.upload_time]
    if not all(math.isfinite(x) for x in values):
        return [Violation("finite", "solution contains NaN or infinity")]
    if not 0.0 < sol.eta < 1.0:
        return [Violation("eta", f"eta = {sol.eta} is not in (0, 1)")]
    if inst.eta is not None and abs(sol.eta - inst.eta) > tol * inst.eta:
        out.append(Violation("eta", f"eta = {sol.eta} but the instance fixes eta = {inst.eta}"))
    total_b = 0.0
    for k, d in enumerate(inst.devices):
        f, p = sol.frequency[k], sol.power[k]
        b, t = sol.bandwidth[k], sol.upload_time[k]
        if not 0.0 < f <= d.f_max * (1 + tol):
            out.append(Violation(f"frequency[{k}]", f"f = {f} Hz not in (0, {d.f_max}]",
                                 max(f - d.f_max, -f)))
        if not 0.0 < p <= d.p_max * (1 + tol):
            out.append(Violation(f"power[{k}]", f"p = {p} W not in (0, {d.p_max}]",
                                 max(p - d.p_max, -p)))
        if b <= 0.0:
            out.append(Violation(f"bandwidth[{k}]", f"b = {b} Hz is not > 0", -b))
        if t <= 0.0:
            out.append(Violation(f"upload_time[{k}]", f"t = {t} s is not > 0", -t))
        total_b += b
        if b > 0.0 and t > 0.0 and p > 0.0:
            bits = t * b * math.log2(1.0 + d.gain * p / (inst.noise_psd * b))
            if bits < inst.model_bits * (1 - tol):
                out.append(Violation(f"upload[{k}]", f"uploads {bits:.6g} bit of "
                                     f"{inst.model_bits:.6g}", inst.model_bits - bits))
    if total_b > inst.bandwidth * (1 + tol):
        out.append(Violation("bandwidth_total", f"sum of bandwidths {total_b:.9g} Hz > "
                             f"{inst.bandwidth:.9g} Hz", total_b - inst.bandwidth))
    if all(f > 0 for f in sol.frequency):
        for k, ct in enumerate(completion_times(inst, sol)):
            if ct > inst.deadline * (1 + tol):
                out.append(Violation(f"deadline[{k}]", f"device {k} finishes at {ct:.9g} s > "
                                     f"T = {inst.deadline:.9g} s", ct - inst.deadline))
    return out
