"""fl_uplink: validation, round trips, bad input and the independent evaluator."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.fl_uplink as fu
from edgeopt_solve import InvalidInstanceError
from edgeopt_solve.testing import with_value


def small(seed: int = 0) -> dict:
    return fu.generate(3, seed).to_dict()


def test_round_trip_dict_and_json() -> None:
    for seed in (0, 1):
        inst = fu.generate(7, seed)
        d = inst.to_dict()
        assert fu.Instance.from_dict(d) == inst
        assert fu.Instance.from_dict(json.loads(json.dumps(d, allow_nan=False))) == inst
        sol = fu.solve(inst).solution
        sd = json.loads(json.dumps(sol.to_dict(), allow_nan=False))
        assert fu.Solution.from_dict(sd) == sol


def test_generate_is_deterministic_and_follows_the_preset() -> None:
    a = fu.generate(20, 4)
    assert a == fu.generate(20, 4) and a != fu.generate(20, 6)
    assert a.access == "tdma" and fu.generate(20, 5).access == "noma"
    assert a.bandwidth == 1e6 and a.kappa == 1e-28 and a.n == 20
    assert math.isclose(a.noise_psd, 10 ** (-174 / 10) / 1000)
    assert all(d.p_max == pytest.approx(0.1) and d.f_max == 2e9 for d in a.devices)
    assert all(1e4 <= d.cycles_per_sample <= 3e4 and 500 <= d.samples <= 1500
               for d in a.devices)
    assert a.devices[0].cycles == (a.devices[0].cycles_per_sample * a.devices[0].samples
                                   * a.devices[0].local_epochs)
    with pytest.raises(ValueError):
        fu.generate(0, 0)


@pytest.mark.parametrize(("path", "value", "field"), [
    (("devices", 1, "gain"), -1e-10, "devices[1].gain"),
    (("devices", 0, "gain"), 0.0, "devices[0].gain"),
    (("bandwidth",), 0.0, "bandwidth"),
    (("bandwidth",), -1e6, "bandwidth"),
    (("devices", 2, "p_max"), 0.0, "devices[2].p_max"),
    (("devices", 0, "f_max"), -2e9, "devices[0].f_max"),
    (("devices", 0, "samples"), 0.0, "devices[0].samples"),
    (("devices", 1, "cycles_per_sample"), -3.0, "devices[1].cycles_per_sample"),
    (("devices", 1, "local_epochs"), 0, "devices[1].local_epochs"),
    (("devices", 1, "local_epochs"), 1.5, "devices[1].local_epochs"),
    (("devices", 2, "model_bits"), 0.0, "devices[2].model_bits"),
    (("access",), "fdma", "access"),
    (("access",), "TDMA", "access"),
    (("access",), 3, "access"),
    (("deadline",), 0.0, "deadline"),
    (("deadline",), "2", "deadline"),
    (("deadline",), True, "deadline"),
    (("noise_psd",), -1e-21, "noise_psd"),
    (("kappa",), 0.0, "kappa"),
])
def test_bad_input_names_the_field(path: tuple, value: object, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        fu.Instance.from_dict(with_value(small(), path, value))
    assert info.value.field == field, info.value.one_line()


def test_bad_input_structure() -> None:
    data = small()
    data["devices"] = []
    with pytest.raises(InvalidInstanceError) as info:
        fu.Instance.from_dict(data)
    assert info.value.field == "devices"
    data = small()
    data["devices"][0]["colour"] = "red"
    with pytest.raises(InvalidInstanceError) as info:
        fu.Instance.from_dict(data)
    assert info.value.field == "devices[0].colour"
    for bad in (None, [], "x", 3):
        with pytest.raises(InvalidInstanceError):
            fu.Instance.from_dict(bad)
    with pytest.raises(InvalidInstanceError) as info:
        fu.Solution.from_dict({"compute_time": 1.0, "frequency": [1.0], "power": ["a"],
                               "upload_time": [1.0]})
    assert info.value.field == "power[0]"


def test_json_schema_lists_access_values() -> None:
    schema = fu.Instance.json_schema()
    assert set(schema["required"]) >= {"access", "bandwidth", "deadline", "devices"}
    assert schema["properties"]["access"]["enum"] == ["tdma", "noma"]


# ---- evaluator -----------------------------------------------------------------------------

def test_objective_by_hand() -> None:
    data = small()
    data["devices"] = data["devices"][:1]
    data["devices"][0].update(cycles_per_sample=1e4, samples=100.0, local_epochs=2)
    inst = fu.Instance.from_dict(data)
    sol = fu.Solution(0.01, (1e8,), (0.05,), (0.02,))
    assert fu.objective(inst, sol) == pytest.approx(1e-28 * 2e6 * 1e16 + 0.05 * 0.02)


def test_verify_reports_wrong_sizes_and_nan_without_raising() -> None:
    inst = fu.generate(4, 0)
    sol = fu.solve(inst).solution
    short = fu.Solution(sol.compute_time, sol.frequency[:3], sol.power, sol.upload_time)
    assert [v.constraint for v in fu.verify(inst, short)] == ["size[frequency]"]
    nan = fu.Solution(math.nan, sol.frequency, sol.power, sol.upload_time)
    assert fu.verify(inst, nan)[0].constraint == "finite"


@pytest.mark.parametrize("seed", [0, 1])
def test_verify_catches_each_violation(seed: int) -> None:
    inst = fu.generate(5, seed)
    sol = fu.solve(inst).solution
    assert fu.verify(inst, sol) == []

    def names(**change: object) -> set[str]:
        d = sol.to_dict()
        d.update(change)
        return {v.constraint.split("[")[0] for v in fu.verify(inst, fu.Solution.from_dict(d))}

    f = list(sol.frequency)
    assert "frequency" in names(frequency=[2 * inst.devices[0].f_max, *f[1:]])
    assert "compute" in names(frequency=[0.5 * f[0], *f[1:]])
    p = list(sol.power)
    assert "power" in names(power=[inst.devices[0].p_max * 1.01, *p[1:]])
    assert "power" in names(power=[0.0, *p[1:]])
    u = list(sol.upload_time)
    assert "deadline" in names(upload_time=[x * 1.5 for x in u])
    assert "deadline" in names(compute_time=sol.compute_time * 1.5)
    weak = "upload" if inst.access == "tdma" else "capacity"
    assert weak in names(power=[p[0] * 0.9, *p[1:]])
    assert weak in names(upload_time=[x * 0.9 for x in u], compute_time=sol.compute_time)
    if inst.access == "noma":
        assert "upload_time" in names(upload_time=[u[0] * 0.5, *u[1:]])


def test_timeline_tdma_slots_are_disjoint_and_noma_windows_shared() -> None:
    for seed in (0, 1):
        inst = fu.generate(6, seed)
        sol = fu.solve(inst).solution
        rows = fu.timeline(inst, sol)
        assert all(c1 <= sol.compute_time * (1 + 1e-9) and u0 >= sol.compute_time
                   for _, c1, u0, _ in rows)
        if inst.access == "tdma":
            assert all(rows[k][3] == pytest.approx(rows[k + 1][2]) for k in range(5))
        else:
            assert len({(u0, u1) for _, _, u0, u1 in rows}) == 1
        assert max(r[3] for r in rows) <= inst.deadline * (1 + 1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(1e-3, 5.0), st.floats(0.0, 50.0)), min_size=1,
                max_size=8))
def test_capacity_prefix_check_equals_enumeration(pairs: list[tuple[float, float]]) -> None:
    """The K-prefix check of the capacity region finds the same worst set slack."""
    rates = [r for r, _ in pairs]
    snr = [q for _, q in pairs]
    full, _ = fu.capacity_slack(rates, snr, 1.0, enumerate_all=True)
    fast, _ = fu.capacity_slack(rates, snr, 1.0, enumerate_all=False)
    assert fast >= full - 1e-12  # prefixes are some of the subsets
    if full < -1e-9:  # and they find every violation
        assert fast < 0
    if fast < 0:
        assert full < 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(1e-3, 5.0), st.floats(0.0, 50.0)), min_size=1,
                max_size=8))
def test_prefix_sets_minimise_the_absolute_slack(pairs: list[tuple[float, float]]) -> None:
    """Tangent argument: min over all S (empty set included) is attained on a prefix."""
    import itertools

    n = len(pairs)
    r = [a for a, _ in pairs]
    q = [b for _, b in pairs]

    def slack(s: tuple[int, ...]) -> float:
        return math.log2(1 + sum(q[k] for k in s)) - sum(r[k] for k in s)

    best = min(slack(s) for m in range(1, n + 1) for s in itertools.combinations(range(n), m))
    order = sorted(range(n), key=lambda k: math.inf if q[k] == 0 else r[k] / q[k],
                   reverse=True)
    prefix = min(slack(tuple(order[:m])) for m in range(1, n + 1))
    assert min(prefix, 0.0) == pytest.approx(min(best, 0.0), abs=1e-9)
