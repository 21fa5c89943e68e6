"""Independent evaluator: HFEL cost and every constraint, from the decision values only.

Shares no code with the methods. For edge server j with associated devices S_j::

    comp_i  = L·c_i·D_i / f_i                              computing time per edge iteration [s]
    comm_i  = s / (b_i·log2(1 + g_ij·p_i/(N0·b_i)))        upload time per edge iteration [s]
    T_j     = max_{i in S_j} (comp_i + comm_i)             edge-iteration time [s]
    E_j     = sum_{i in S_j} (L·(alpha/2)·c_i·D_i·f_i² + p_i·comm_i)   energy per edge iteration [J]
    C_j     = lambda_e·(I·E_j + E_cloud_j) + lambda_t·(I·T_j + T_cloud_j)   (0 if S_j is empty)
    cost    = sum_j C_j

Constraints: every device on a reachable edge server, 0 < f_i <= f_max_i, b_i > 0,
sum_{i in S_j} b_i <= B_j, |S_j| <= max_devices_j. Tolerances are relative.
"""

from __future__ import annotations

import math

from edgeopt_solve.protocol import Violation
from formulations.fl_hierarchical.model import Instance, Solution


def device_times(inst: Instance, sol: Solution) -> list[tuple[float, float]]:
    """(computing, upload) time per edge iteration of every device, s."""
    out = []
    for d, j, f, b in zip(inst.devices, sol.association, sol.frequency, sol.bandwidth,
                          strict=True):
        gain = d.gains[j]
        assert gain is not None
        rate = b * math.log2(1.0 + gain * d.power / (inst.noise_psd * b))
        out.append((inst.local_iterations * d.cycles_per_sample * d.samples / f,
                    inst.model_bits / rate))
    return out


def edge_costs(inst: Instance, sol: Solution) -> list[float]:
    """Cost C_j of every edge server (0 for an edge server without devices)."""
    times = device_times(inst, sol)
    t_edge = [0.0] * inst.m
    e_edge = [0.0] * inst.m
    used = [False] * inst.m
    for i, (d, j, f) in enumerate(zip(inst.devices, sol.association, sol.frequency,
                                      strict=True)):
        comp, comm = times[i]
        used[j] = True
        t_edge[j] = max(t_edge[j], comp + comm)
        e_edge[j] += (inst.local_iterations * 0.5 * inst.capacitance * d.cycles_per_sample
                      * d.samples * f * f + d.power * comm)
    out = []
    for j, e in enumerate(inst.edges):
        if not used[j]:
            out.append(0.0)
            continue
        energy = inst.edge_iterations * e_edge[j] + e.cloud_energy
        time = inst.edge_iterations * t_edge[j] + e.cloud_time
        out.append(inst.energy_weight * energy + inst.time_weight * time)
    return out


def objective(inst: Instance, sol: Solution) -> float:
    """Total cost per cloud round: sum over edge servers of weighted energy plus time."""
    return math.fsum(edge_costs(inst, sol))


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint; ``[]`` when the solution is feasible."""
    out: list[Violation] = []
    n = inst.n
    for name in ("association", "frequency", "bandwidth"):
        got = len(getattr(sol, name))
        if got != n:
            out.append(Violation(f"size[{name}]", f"{got} values for {n} devices"))
    if out:
        return out
    if not all(math.isfinite(x) for x in (*sol.frequency, *sol.bandwidth)):
        return [Violation("finite", "solution contains NaN or infinity")]
    count = [0] * inst.m
    total_b = [0.0] * inst.m
    for i, d in enumerate(inst.devices):
        j, f, b = sol.association[i], sol.frequency[i], sol.bandwidth[i]
        if not 0 <= j < inst.m:
            out.append(Violation(f"association[{i}]", f"edge {j} does not exist"))
            continue
        if d.gains[j] is None:
            out.append(Violation(f"association[{i}]", f"device {i} cannot reach edge {j}"))
        count[j] += 1
        if not 0.0 < f <= d.f_max * (1 + tol):
            out.append(Violation(f"frequency[{i}]", f"f = {f} Hz not in (0, {d.f_max}]",
                                 max(f - d.f_max, -f)))
        if b <= 0.0:
            out.append(Violation(f"bandwidth[{i}]", f"b = {b} Hz is not > 0", -b))
        total_b[j] += b
    for j, e in enumerate(inst.edges):
        if total_b[j] > e.bandwidth * (1 + tol):
            out.append(Violation(f"bandwidth_total[edge={j}]",
                                 f"sum of bandwidths {total_b[j]:.9g} Hz > {e.bandwidth:.9g} Hz",
                                 total_b[j] - e.bandwidth))
        if e.max_devices is not None and count[j] > e.max_devices:
            out.append(Violation(f"max_devices[edge={j}]",
                                 f"{count[j]} devices > {e.max_devices}",
                                 float(count[j] - e.max_devices)))
    return out
