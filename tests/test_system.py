"""The shared system-model layer: validation, units and published anchors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgeopt_solve import InvalidInstanceError
from edgeopt_solve.system import (
    AnalyticCostModel,
    Channel,
    Device,
    DnnGraph,
    EdgeServer,
    Layer,
    Link,
    UavEnergyModel,
    dbm_to_watt,
    layer_latencies,
    path_loss_db,
    shannon_rate,
)


def test_uav_power_matches_zeng_2019_table_one() -> None:
    uav = UavEnergyModel()
    assert uav.blade_profile_power == pytest.approx(79.86, abs=0.01)
    assert uav.induced_power == pytest.approx(88.63, abs=0.01)
    assert uav.hover_power == pytest.approx(168.48, abs=0.01)
    assert uav.power(0.0) == pytest.approx(uav.hover_power)
    assert uav.max_endurance_speed() == pytest.approx(10.2, abs=0.1)
    assert uav.max_range_speed() == pytest.approx(18.3, abs=0.1)


def test_uav_power_is_u_shaped() -> None:
    uav = UavEnergyModel()
    v = np.linspace(0, 40, 401)
    p = uav.power(v)
    k = int(np.argmin(p))
    assert 0 < k < len(v) - 1
    assert np.all(np.diff(p[: k + 1]) <= 1e-9) and np.all(np.diff(p[k:]) >= -1e-9)
    assert uav.flight_energy(100.0, 10.0) == pytest.approx(10.0 * uav.power(10.0))


def test_uav_rejects_bad_parameters() -> None:
    with pytest.raises(InvalidInstanceError, match="weight"):
        UavEnergyModel(weight=-1)


def test_shannon_rate_and_channel() -> None:
    assert shannon_rate(1e6, 1.0, 1.0, 1e-6) == pytest.approx(1e6 * math.log2(2))
    assert shannon_rate(0.0, 1.0, 1.0, 1e-6) == 0.0
    ch = Channel(bandwidth=1e6, gain=1e-10, noise_psd=dbm_to_watt(-174) / 1)
    assert ch.rate(0.01) > ch.rate(0.001) > 0
    rates = shannon_rate(np.array([1e6, 2e6]), 1.0, 1.0, 1e-6)
    assert rates.shape == (2,) and rates[1] > rates[0]
    assert path_loss_db(1000.0) == pytest.approx(128.1)


def test_link_transfer_time() -> None:
    link = Link(bandwidth=8e6, rtt=0.02)
    assert link.transfer_time(1e6) == pytest.approx(0.01 + 1.0)
    assert link.transfer_time(0) == 0.0
    with pytest.raises(InvalidInstanceError, match="bandwidth"):
        Link(bandwidth=0.0)
    with pytest.raises(InvalidInstanceError, match="rtt"):
        Link(bandwidth=1.0, rtt=float("nan"))


def test_devices_validate() -> None:
    d = Device("phone", 1e9, power_compute=2.0)
    assert d.tier.value == "device"
    with pytest.raises(InvalidInstanceError, match="compute_rate"):
        EdgeServer("e", -5.0)


def chain(n: int) -> list[Layer]:
    return [Layer(f"l{i}", "conv", 1e6 * (i + 1), 10.0, 100.0, (f"l{i-1}",) if i else ())
            for i in range(n)]


def test_dnn_graph_structure() -> None:
    g = DnnGraph("c", tuple(chain(4)), input_bytes=50.0)
    assert g.is_chain and len(g) == 4
    assert g.sources == (0,) and g.sinks == (3,)
    assert g.total_macs == pytest.approx(10e6)
    assert DnnGraph.from_dict(g.to_dict()) == g
    diamond = DnnGraph.from_layers("d", [
        Layer("d", "add", 1.0, inputs=("b", "c")), Layer("a", "conv", 1.0),
        Layer("b", "conv", 1.0, inputs=("a",)), Layer("c", "conv", 1.0, inputs=("a",))])
    assert next(layer.name for layer in diamond.layers) == "a"
    assert not diamond.is_chain and diamond.successors[0] == (1, 2)


def test_dnn_graph_rejects_cycles_and_bad_layers() -> None:
    with pytest.raises(InvalidInstanceError, match="cycle"):
        DnnGraph.from_layers("cyc", [Layer("a", "conv", 1.0, inputs=("b",)),
                                     Layer("b", "conv", 1.0, inputs=("a",))])
    with pytest.raises(InvalidInstanceError, match=r"cycle|topological"):
        DnnGraph("cyc", (Layer("a", "conv", 1.0, inputs=("b",)), Layer("b", "conv", 1.0)))
    with pytest.raises(InvalidInstanceError, match="macs"):
        Layer("x", "conv", -1.0)
    with pytest.raises(InvalidInstanceError, match="unknown input"):
        DnnGraph.from_layers("u", [Layer("a", "conv", 1.0, inputs=("zz",))])
    with pytest.raises(InvalidInstanceError, match="duplicate"):
        DnnGraph("dup", (Layer("a", "conv", 1.0), Layer("a", "conv", 1.0)))


def test_analytic_cost_model() -> None:
    model = AnalyticCostModel(Device("d", 1e9, power_compute=2.0), layer_overhead=1e-4)
    g = DnnGraph("c", tuple(chain(2)))
    assert layer_latencies(model, g) == pytest.approx([1e-4 + 1e-3, 1e-4 + 2e-3])
    assert model.layer_energy(g.layers[0]) == pytest.approx(2.0 * (1e-4 + 1e-3))


def test_square_cell_losses_follow_the_path_loss_and_clip_the_shadowing() -> None:
    import numpy as np

    from edgeopt_solve.system import path_loss_db, square_cell_losses

    plain = square_cell_losses(np.random.default_rng(1), 500, side=500.0, min_distance=10.0)
    lo, hi = path_loss_db(10.0), path_loss_db(500.0 / 2 * 2 ** 0.5)
    assert np.all(plain >= lo - 1e-9) and np.all(plain <= hi + 1e-9)
    shadowed = square_cell_losses(np.random.default_rng(1), 500, side=500.0, min_distance=10.0,
                                  shadowing_db=8.0)
    diff = shadowed - plain  # same positions: the positions are drawn first
    assert np.all(np.abs(diff) <= 16.0 + 1e-9) and diff.std() > 4.0
