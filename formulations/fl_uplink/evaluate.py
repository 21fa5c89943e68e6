"""Independent evaluator: round energy and every constraint, from the decision values only.

Shares no code with the methods. With C_k = cycles/sample·samples·epochs::

    energy = sum_k kappa·C_k·f_k²  +  sum_k p_k·u_k                          [J]
    C_k / f_k <= T_c,   0 < f_k <= f_max_k,   0 < p_k <= p_max_k,   u_k > 0   [s, Hz, W]

    TDMA: u_k = tau_k, slots back to back after T_c:  T_c + sum_k tau_k <= T
          tau_k·W·log2(1 + h_k·p_k/(N0·W)) >= s_k                           [bit]
    NOMA: u_k = L for every k,  T_c + L <= T, and the rates r_k = s_k/L lie in the
          capacity region of the multiple-access channel with powers p:
          for every subset S:  sum_{k in S} r_k <= W·log2(1 + sum_{k in S} h_k·p_k/(N0·W))

The NOMA region has 2^K - 1 constraints. Up to :data:`ENUMERATE_UP_TO` devices all of them
are checked; above, only the K "prefix" sets of the devices sorted by ``r_k/q_k``
(q_k = h_k·p_k/(N0·W)) descending. That finds every violation: ``min_S [W·log2(1 + q(S))
- r(S)]`` over all S (the empty set included, value 0) is the minimum of a concave
function of the modular ``q(S)`` minus a modular function; writing the concave function
as the infimum of its tangents ``lambda·x + c(lambda)`` turns the inner minimum into
``sum_k min(0, lambda·q_k - r_k)``, attained by ``{k : r_k/q_k > lambda}`` — a prefix of
that order. So if some set is violated (minimum < 0), a non-empty prefix is violated too.
(The *smallest positive* slack need not sit on a prefix; only the sign is exact.)
Tolerances are relative.
"""

from __future__ import annotations

import itertools
import math

from edgeopt_solve.protocol import Violation
from formulations.fl_uplink.model import Instance, Solution

ENUMERATE_UP_TO = 12


def objective(inst: Instance, sol: Solution) -> float:
    """Total energy of the round (computation plus upload, all devices), J."""
    total = 0.0
    for d, f, p, u in zip(inst.devices, sol.frequency, sol.power, sol.upload_time,
                          strict=True):
        total += inst.kappa * d.cycles_per_sample * d.samples * d.local_epochs * f * f + p * u
    return total


def capacity_slack(rates: list[float], snr: list[float], bandwidth: float,
                   *, enumerate_all: bool | None = None) -> tuple[float, tuple[int, ...]]:
    """``min_S [W·log2(1 + q(S)) - r(S)] / r(S)`` over the checked sets S; and that S.

    Negative means the rates lie outside the capacity region (exact in both modes; with
    prefixes only, a positive value may overstate the smallest slack). ``enumerate_all`` forces
    (True) or forbids (False) the enumeration of every subset; ``None`` enumerates up to
    :data:`ENUMERATE_UP_TO` devices.
    """
    n = len(rates)
    if enumerate_all is None:
        enumerate_all = n <= ENUMERATE_UP_TO
    if enumerate_all:
        subsets = (s for m in range(1, n + 1) for s in itertools.combinations(range(n), m))
    else:
        def ratio(k: int) -> float:
            return math.inf if snr[k] <= 0 else rates[k] / snr[k]
        order = sorted(range(n), key=ratio, reverse=True)
        subsets = (tuple(order[:m]) for m in range(1, n + 1))
    worst, where = math.inf, ()
    for s in subsets:
        r = math.fsum(rates[k] for k in s)
        cap = bandwidth * math.log2(1.0 + math.fsum(snr[k] for k in s))
        rel = (cap - r) / r if r > 0 else math.inf
        if rel < worst:
            worst, where = rel, s
    return worst, where


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint; ``[]`` when the solution is feasible."""
    out: list[Violation] = []
    n = inst.n
    for name in ("frequency", "power", "upload_time"):
        got = len(getattr(sol, name))
        if got != n:
            out.append(Violation(f"size[{name}]", f"{got} values for {n} devices"))
    if out:
        return out
    values = [sol.compute_time, *sol.frequency, *sol.power, *sol.upload_time]
    if not all(math.isfinite(x) for x in values):
        return [Violation("finite", "solution contains NaN or infinity")]
    tc = sol.compute_time
    if tc <= 0:
        out.append(Violation("compute_time", f"T_c = {tc} s is not > 0", -tc))
    n0w = inst.noise_psd * inst.bandwidth
    for k, d in enumerate(inst.devices):
        f, p, u = sol.frequency[k], sol.power[k], sol.upload_time[k]
        if not 0.0 < f <= d.f_max * (1 + tol):
            out.append(Violation(f"frequency[{k}]", f"f = {f} Hz not in (0, {d.f_max}]",
                                 max(f - d.f_max, -f)))
        elif d.cycles_per_sample * d.samples * d.local_epochs / f > tc * (1 + tol):
            done = d.cycles_per_sample * d.samples * d.local_epochs / f
            out.append(Violation(f"compute[{k}]", f"device {k} computes until {done:.9g} s "
                                 f"> T_c = {tc:.9g} s", done - tc))
        if not 0.0 < p <= d.p_max * (1 + tol):
            out.append(Violation(f"power[{k}]", f"p = {p} W not in (0, {d.p_max}]",
                                 max(p - d.p_max, -p)))
        if u <= 0.0:
            out.append(Violation(f"upload_time[{k}]", f"{u} s is not > 0", -u))
    if out:
        return out
    if inst.access == "tdma":
        end = tc + math.fsum(sol.upload_time)
        for k, d in enumerate(inst.devices):
            tau, p = sol.upload_time[k], sol.power[k]
            bits = tau * inst.bandwidth * math.log2(1.0 + d.gain * p / n0w)
            if bits < d.model_bits * (1 - tol):
                out.append(Violation(f"upload[{k}]", f"slot carries {bits:.9g} bit of "
                                     f"{d.model_bits:.9g}", d.model_bits - bits))
    else:
        window = sol.upload_time[0]
        for k, u in enumerate(sol.upload_time):
            if abs(u - window) > tol * window:
                out.append(Violation(f"upload_time[{k}]", f"NOMA devices share one window; "
                                     f"{u:.9g} s != {window:.9g} s", abs(u - window)))
        end = tc + window
        rates = [d.model_bits / window for d in inst.devices]
        snr = [d.gain * p / n0w for d, p in zip(inst.devices, sol.power, strict=True)]
        slack, where = capacity_slack(rates, snr, inst.bandwidth)
        if slack < -tol:
            out.append(Violation(f"capacity[{','.join(map(str, where))}]",
                                 f"sum rate of devices {list(where)} exceeds the SIC capacity "
                                 f"by {-slack:.3g} (relative)", -slack))
    if end > inst.deadline * (1 + tol):
        out.append(Violation("deadline", f"uploads end at {end:.9g} s > T = "
                             f"{inst.deadline:.9g} s", end - inst.deadline))
    return out


def timeline(inst: Instance, sol: Solution) -> list[tuple[float, float, float, float]]:
    """Per device ``(compute start, compute end, upload start, upload end)`` in s."""
    rows = []
    start = sol.compute_time
    for d, f, u in zip(inst.devices, sol.frequency, sol.upload_time, strict=True):
        done = d.cycles_per_sample * d.samples * d.local_epochs / f
        if inst.access == "tdma":
            rows.append((0.0, done, start, start + u))
            start += u
        else:
            rows.append((0.0, done, sol.compute_time, sol.compute_time + u))
    return rows
