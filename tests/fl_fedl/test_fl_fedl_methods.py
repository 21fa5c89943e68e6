"""fl_fedl methods: fast == cvxpy on random instances, baselines never better, options, plot."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.fl_fedl as fl
from edgeopt_solve import Status
from edgeopt_solve.exceptions import InvalidOptionError


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: float(10.0 ** e))


NOISE = 4e-15   # W: -174 dBm/Hz over 1 MHz


@st.composite
def devices(draw: Any, noise: float = NOISE) -> dict[str, float]:
    """A device whose SNR at p_max is 0-90 dB (below 0 dB the exponential cone of the
    cvxpy method cancels and Clarabel reports optimal_inaccurate; ``fast`` is unaffected
    and is checked on such devices in test_fl_fedl_math.py)."""
    f_max = draw(log_uniform(1e8, 3e9))
    p_max = draw(log_uniform(1e-2, 10.0))
    return {"cycles_per_sample": draw(st.floats(1.0, 100.0)),
            "samples": draw(log_uniform(1e3, 1e8)),
            "gain": draw(log_uniform(1.0, 1e9)) * noise / p_max,
            "f_min": f_max * draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 0.9, 1.0])),
            "f_max": f_max,
            "p_min": p_max * draw(st.sampled_from([0.0, 0.0, 0.05, 0.5, 0.99, 1.0])),
            "p_max": p_max}


@st.composite
def instances(draw: Any) -> fl.Instance:
    noise = draw(log_uniform(1e-16, 1e-12))
    return fl.Instance.from_dict({
        "bandwidth": draw(log_uniform(1e5, 1e7)),
        "noise_power": noise,
        "model_size": draw(log_uniform(1e3, 1e6)),
        "capacitance": draw(log_uniform(1e-29, 1e-27)),
        "kappa": draw(log_uniform(1e-2, 1e2)),
        "local_iter_const": draw(st.floats(0.5, 10.0)),
        "global_round_const": draw(st.floats(0.5, 10.0)),
        "theta": draw(st.one_of(st.none(), st.none(), st.floats(0.01, 0.99))),
        "devices": draw(st.lists(devices(noise), min_size=1, max_size=6))})


@settings(max_examples=120, deadline=None)
@given(inst=instances())
def test_fast_equals_cvxpy(inst: fl.Instance) -> None:
    a = fl.solve(inst, "fast")
    b = fl.solve(inst, "cvxpy")
    assert a.status is Status.OPTIMAL
    assert b.status is Status.OPTIMAL, b.message
    assert math.isclose(a.objective, b.objective, rel_tol=1e-5)
    assert a.objective <= b.objective * (1 + 1e-9)   # the closed form is never beaten
    if inst.theta is None:
        assert math.isclose(a.solution.theta, b.solution.theta, rel_tol=1e-3, abs_tol=1e-4)


@pytest.mark.parametrize("seed", range(3))
def test_baselines_never_beat_the_optimum(seed: int) -> None:
    inst = fl.generate(40, seed)
    opt = fl.solve(inst)
    assert opt.status is Status.OPTIMAL
    for name, spec in fl.METHODS.items():
        if spec.exact:
            continue
        res = fl.solve(inst, name)
        assert res.status is Status.FEASIBLE and res.bound is None, name
        assert res.objective >= opt.objective * (1 - 1e-9), name


def test_baseline_rules_hold() -> None:
    inst = fl.generate(12, 3)
    fmax = np.array([d.f_max for d in inst.devices])
    assert np.allclose(fl.solve(inst, "max-frequency").solution.frequency, fmax, rtol=0)
    pmax = np.array([d.p_max for d in inst.devices])
    assert np.allclose(fl.solve(inst, "max-power").solution.power, pmax, rtol=1e-9)
    assert fl.solve(inst, "fixed-theta", theta=0.2).solution.theta == 0.2
    # equal-time: one common slot t, clipped into each device's power window
    free = inst.with_changes(devices=[{**d.to_dict(), "p_min": 0.0} for d in inst.devices])
    taus = np.array(fl.solve(free, "equal-time").solution.upload_time)
    tau_min = np.array([inst.model_size / (inst.bandwidth * math.log1p(
        d.gain * d.p_max / inst.noise_power)) for d in free.devices])
    t = taus.min()
    assert np.allclose(taus, np.maximum(t, tau_min), rtol=1e-12)


def test_fixed_theta_instance_is_respected_by_every_method() -> None:
    inst = fl.generate(8, 1).with_changes(theta=0.35)
    values = {}
    for name in fl.METHODS:
        res = fl.solve(inst, name, theta=0.8) if name == "fixed-theta" else fl.solve(inst, name)
        assert res.solution.theta == 0.35, name
        values[name] = res.objective
    assert math.isclose(values["fast"], values["cvxpy"], rel_tol=1e-6)
    assert math.isclose(values["fast"], values["fixed-theta"], rel_tol=1e-12)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, "half", True])
def test_fixed_theta_option_validated(bad: Any) -> None:
    with pytest.raises(InvalidOptionError):
        fl.solve(fl.generate(3, 0), "fixed-theta", theta=bad)


def test_large_instance_is_fast_and_consistent() -> None:
    inst = fl.generate(2000, 7)
    res = fl.solve(inst)
    assert res.status is Status.OPTIMAL and res.runtime < 2.0
    sets = res.stats["device_sets"]
    assert sets["f_max"] + sets["f_min"] + sets["f_interior"] == 2000
    assert math.isclose(res.objective, res.stats["predicted_cost"], rel_tol=1e-9)


def test_kappa_trades_energy_for_time() -> None:
    """Larger kappa: shorter rounds (T_cp, T_co fall), more energy per round."""
    base = fl.generate(20, 2)
    prev = None
    for kappa in (0.01, 0.1, 1.0, 10.0):
        res = fl.solve(base.with_changes(kappa=kappa))
        t = fl.round_terms(base, res.solution)
        if prev is not None:
            assert t["T_cp"] <= prev["T_cp"] * (1 + 1e-12)
            assert t["T_co"] <= prev["T_co"] * (1 + 1e-12)
            assert t["E_cp"] >= prev["E_cp"] * (1 - 1e-12)
        prev = t


def test_plot_draws_a_solution() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = fl.generate(8, 0)
    sol = fl.solve(inst).solution
    fig, ax = plt.subplots()
    fl.plot(inst, sol, ax)
    assert len(ax.patches) == inst.n and "theta" in ax.get_title()
    plt.close(fig)
