"""Independent evaluator of FEDL: the cost and every constraint, from the decision values only.

Shares no code with the methods. With ``K = a/(1 - theta)`` global rounds and
``L = v·ln(1/theta)`` local iterations per round, per global round::

    E_cp = sum_n (alpha/2)·c_n·D_n·f_n²        T_cp = max_n c_n·D_n / f_n
    E_co = sum_n tau_n·p_n                     T_co = sum_n tau_n          (TDMA)

    cost = K · ( E_co + L·E_cp + kappa·(T_co + L·T_cp) )                    [J]

Constraints: ``0 < theta < 1`` (equal to the instance's theta if it fixes one),
``f_min_n <= f_n <= f_max_n``, ``f_n > 0``, ``tau_n > 0``, ``p_min_n <= p_n <= p_max_n``,
and the upload: ``tau_n·B·ln(1 + h_n·p_n/N0) = s`` (nats) — less means the model is not
uploaded (``upload[n]``), more means the stored power is not the one tau needs
(``power_consistency[n]``). Tolerances are relative.
"""

from __future__ import annotations

import math

from edgeopt_solve.protocol import Violation
from formulations.fl_fedl.model import Instance, Solution


def round_terms(inst: Instance, sol: Solution) -> dict[str, float]:
    """Per-round ``E_cp``, ``T_cp``, ``E_co``, ``T_co`` (J, s) of a solution."""
    e_cp = sum(0.5 * inst.capacitance * d.cycles_per_sample * d.samples * f * f
               for d, f in zip(inst.devices, sol.frequency, strict=True))
    t_cp = max(d.cycles_per_sample * d.samples / f
               for d, f in zip(inst.devices, sol.frequency, strict=True))
    e_co = sum(t * p for t, p in zip(sol.upload_time, sol.power, strict=True))
    t_co = sum(sol.upload_time)
    return {"E_cp": e_cp, "T_cp": t_cp, "E_co": e_co, "T_co": t_co}


def objective(inst: Instance, sol: Solution) -> float:
    """``K(theta)·[E_co + L·E_cp + kappa·(T_co + L·T_cp)]``, J (see the module docstring)."""
    rounds = inst.global_round_const / (1.0 - sol.theta)
    local = inst.local_iter_const * math.log(1.0 / sol.theta)
    r = round_terms(inst, sol)
    return rounds * (r["E_co"] + local * r["E_cp"]
                     + inst.kappa * (r["T_co"] + local * r["T_cp"]))


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint; ``[]`` when the solution is feasible."""
    out: list[Violation] = []
    n = inst.n
    for name in ("frequency", "upload_time", "power"):
        got = len(getattr(sol, name))
        if got != n:
            out.append(Violation(f"size[{name}]", f"{got} values for {n} devices"))
    if out:
        return out
    values = [sol.theta, *sol.frequency, *sol.upload_time, *sol.power]
    if not all(math.isfinite(x) for x in values):
        return [Violation("finite", "solution contains NaN or infinity")]
    if not 0.0 < sol.theta < 1.0:
        return [Violation("theta", f"theta = {sol.theta} is not in (0, 1)")]
    if inst.theta is not None and abs(sol.theta - inst.theta) > tol * inst.theta:
        out.append(Violation("theta", f"theta = {sol.theta} but the instance fixes "
                             f"theta = {inst.theta}", abs(sol.theta - inst.theta)))
    for k, d in enumerate(inst.devices):
        f, t, p = sol.frequency[k], sol.upload_time[k], sol.power[k]
        if f <= 0.0 or f < d.f_min * (1 - tol) or f > d.f_max * (1 + tol):
            out.append(Violation(f"frequency[{k}]", f"f = {f} Hz not in [{d.f_min}, {d.f_max}]"
                                 " (and > 0)", max(f - d.f_max, d.f_min - f, -f)))
        if p < d.p_min * (1 - tol) or p > d.p_max * (1 + tol):
            out.append(Violation(f"power[{k}]", f"p = {p} W not in [{d.p_min}, {d.p_max}]",
                                 max(p - d.p_max, d.p_min - p)))
        if t <= 0.0:
            out.append(Violation(f"upload_time[{k}]", f"tau = {t} s is not > 0", -t))
            continue
        if p < 0.0:
            continue
        nats = t * inst.bandwidth * math.log1p(d.gain * p / inst.noise_power)
        if nats < inst.model_size * (1 - tol):
            out.append(Violation(f"upload[{k}]", f"uploads {nats:.9g} nats of "
                                 f"{inst.model_size:.9g} in tau = {t:.6g} s",
                                 inst.model_size - nats))
        elif nats > inst.model_size * (1 + tol):
            need = inst.noise_power / d.gain * math.expm1(
                inst.model_size / (t * inst.bandwidth))
            out.append(Violation(f"power_consistency[{k}]", f"p = {p:.9g} W but tau = {t:.6g} s "
                                 f"needs {need:.9g} W ({nats:.9g} nats sent, "
                                 f"{inst.model_size:.9g} needed)", p - need))
    return out
