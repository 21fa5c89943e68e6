"""fl_uplink: exact methods agree, baselines are worse, qualitative results of Mo & Xu."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.fl_uplink as fu
from edgeopt_solve import Limit, Status
from edgeopt_solve.context import StopToken
from formulations.fl_uplink.fast import min_deadline
from formulations.fl_uplink.kernels import arrays


def perturbed(n: int, seed: int, access: str, factor: float) -> fu.Instance:
    """A Mo & Xu instance with spread-out power limits and gains, deadline near its minimum."""
    rng = np.random.default_rng(seed)
    data = fu.mo_xu_instance(n, seed, access=access).to_dict()
    for dev in data["devices"]:
        dev["p_max"] = float(10 ** rng.uniform(-3, 0))
        dev["gain"] *= float(10 ** rng.uniform(-1.5, 1.5))
        dev["local_epochs"] = int(rng.integers(1, 4))
    inst = fu.Instance.from_dict(data)
    return inst.with_changes(deadline=min_deadline(arrays(inst)) * factor)


FACTORS = st.sampled_from([1.0005, 1.01, 1.1, 1.5, 3.0, 10.0])


def agree(inst: fu.Instance) -> None:
    a = fu.solve(inst, "fast")
    b = fu.solve(inst, "cvxpy")
    assert a.status is Status.OPTIMAL, a.message
    assert b.status is Status.OPTIMAL, b.message
    assert math.isclose(a.objective, b.objective, rel_tol=1e-5), (a.objective, b.objective)
    assert a.bound is not None and a.bound <= b.objective * (1 + 1e-7)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.integers(0, 10**6), FACTORS)
def test_fast_equals_cvxpy_tdma(n: int, seed: int, factor: float) -> None:
    agree(perturbed(n, seed, "tdma", factor))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.integers(0, 10**6), FACTORS)
def test_fast_equals_cvxpy_noma(n: int, seed: int, factor: float) -> None:
    agree(perturbed(n, seed, "noma", factor))


@pytest.mark.parametrize("seed", range(4))
def test_noma_joint_optimum_equals_all_subsets_program(seed: int) -> None:
    """fast (decoding order + box greedy) vs CVXPY with all 2^K - 1 capacity constraints."""
    inst = perturbed(4 + seed % 2, seed, "noma", 1.02)
    a = fu.solve(inst, "fast")
    b = fu.solve(inst, "cvxpy", subsets="all")
    assert a.status is b.status is Status.OPTIMAL
    assert math.isclose(a.objective, b.objective, rel_tol=1e-5)


@pytest.mark.parametrize("access", ["tdma", "noma"])
def test_infeasible_deadline_reports_the_smallest_feasible_one(access: str) -> None:
    inst = fu.mo_xu_instance(6, 3, access=access)
    t_min = min_deadline(arrays(inst))
    tight = inst.with_changes(deadline=t_min * 0.98)
    for method in fu.METHODS:
        res = fu.solve(tight, method)
        assert res.status is Status.INFEASIBLE, method
        assert res.solution is None and "smallest feasible deadline" in res.message
        assert res.stats["min_deadline"] == pytest.approx(t_min, rel=1e-5), method
    ok = fu.solve(inst.with_changes(deadline=t_min * (1 + 1e-7)))
    assert ok.status is Status.OPTIMAL
    # at the smallest deadline everything runs flat out
    assert ok.solution.compute_time == pytest.approx(arrays(inst).tc_min, rel=1e-4)


def test_noma_never_needs_more_energy_than_tdma_and_energy_falls_with_t() -> None:
    for seed in range(6):
        base = fu.mo_xu_instance(8, seed, access="tdma", deadline_factor=1.0)
        t0 = base.deadline * 1.01
        last = {"tdma": math.inf, "noma": math.inf}
        for T in (t0, 1.5 * t0, 2 * t0, 4 * t0):
            e = {acc: fu.solve(base.with_changes(deadline=T, access=acc)).objective
                 for acc in ("tdma", "noma")}
            assert e["noma"] <= e["tdma"] * (1 + 1e-9)
            for acc in e:
                assert e[acc] < last[acc]
                last[acc] = e[acc]


@pytest.mark.parametrize("seed", range(6))
def test_baselines_are_feasible_and_never_better(seed: int) -> None:
    inst = perturbed(6, seed, ["tdma", "noma"][seed % 2], 1.5)
    best = fu.solve(inst).objective
    for name, spec in fu.METHODS.items():
        if spec.exact:
            continue
        res = fu.solve(inst, name)
        assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION), name
        assert res.status is not Status.OPTIMAL
        if res.objective is not None:
            assert res.objective >= best * (1 - 1e-9), name


def test_equal_slots_on_noma_costs_what_tdma_costs() -> None:
    """The TDMA schedule as average NOMA powers: same energy, and it verifies."""
    inst = fu.mo_xu_instance(5, 2, access="tdma", deadline_factor=3.0)
    t = fu.solve(inst, "equal-slots")
    n = fu.solve(inst.with_changes(access="noma"), "equal-slots")
    assert t.status is n.status is Status.FEASIBLE
    assert n.objective == pytest.approx(t.objective, rel=1e-12)


def test_stop_request_and_determinism() -> None:
    inst = fu.generate(30, 0)
    token = StopToken()
    token.request_stop()
    res = fu.solve(inst, stop=token)
    assert res.status is Status.FEASIBLE and res.limit is Limit.INTERRUPTED
    assert res.bound is None or res.bound <= res.objective
    a, b = fu.solve(inst), fu.solve(inst)
    assert a.solution == b.solution


def test_fast_scales_to_a_thousand_devices() -> None:
    for seed in (0, 1):
        inst = fu.generate(1000, seed)
        t0 = time.perf_counter()
        res = fu.solve(inst)
        assert time.perf_counter() - t0 < 3.0
        assert res.status is Status.OPTIMAL and res.gap <= 1e-9


def test_decoding_order_reported_by_fast_is_by_gain() -> None:
    """The NOMA optimum at a loose deadline is the strongest-first SIC point."""
    inst = fu.mo_xu_instance(5, 1, access="noma", deadline_factor=4.0)
    res = fu.solve(inst)
    sol = res.solution
    h = [d.gain for d in inst.devices]
    order = sorted(range(5), key=lambda k: -h[k])
    assert res.stats["decoding_order"] == order and res.stats["powers_at_p_max"] == 0
    snr = [d.gain * p / (inst.noise_psd * inst.bandwidth)
           for d, p in zip(inst.devices, sol.power, strict=True)]
    L = sol.upload_time[0]
    for i, k in enumerate(order):  # rate of k = decoded with the later ones as interference
        interf = sum(snr[j] for j in order[i + 1:])
        rate = inst.bandwidth * math.log2(1 + snr[k] / (1 + interf))
        assert rate == pytest.approx(inst.devices[k].model_bits / L, rel=1e-9)
