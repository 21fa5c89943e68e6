"""uav_path: schema, bad input, evaluator, verifier, energy-model anchors, TSPLIB reader."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import formulations.uav_path as up
from edgeopt_solve import InvalidInstanceError
from edgeopt_solve.cli import app
from edgeopt_solve.system import UavEnergyModel
from formulations.uav_path.io_tsplib import parse_tsplib

TSPLIB = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "tsplib"
INSTANCES = Path(__file__).resolve().parents[2] / "instances" / "uav_path"


def small(**extra) -> dict:
    data = {
        "base": [0.0, 0.0],
        "points": [[300.0, 400.0], [300.0, 0.0]],
        "devices": [
            {"id": "a", "position": [310.0, 400.0], "data_bits": 1e7, "rate": 1e6},
            {"id": "b", "position": [300.0, 50.0], "data_bits": 4e6, "rate": 2e6},
        ],
        "comm_range": 100.0,
    }
    data.update(extra)
    return data


# -- the rotary-wing model (Zeng, Xu, Zhang 2019, Table I) ---------------------------------
def test_energy_model_anchors() -> None:
    m = UavEnergyModel()
    assert m.blade_profile_power == pytest.approx(79.86, abs=0.01)
    assert m.induced_power == pytest.approx(88.63, abs=0.01)
    assert m.hover_power == pytest.approx(168.48, abs=0.01)
    assert float(m.power(0.0)) == pytest.approx(168.48, abs=0.01)
    assert m.max_endurance_speed() == pytest.approx(10.2, abs=0.1)
    assert m.max_range_speed() == pytest.approx(18.3, abs=0.1)


def p_formula(v: float) -> float:
    """Zeng et al. 2019 eq. (12) with Table I numbers, written out independently."""
    p0, pi, utip, v0 = 79.86, 88.63, 120.0, 4.03
    return (p0 * (1 + 3 * v**2 / utip**2)
            + pi * math.sqrt(math.sqrt(1 + v**4 / (4 * v0**4)) - v**2 / (2 * v0**2))
            + 0.5 * 0.6 * 1.225 * 0.05 * 0.503 * v**3)


def test_power_formula_matches_model() -> None:
    m = UavEnergyModel()
    for v in (0.0, 5.0, 10.2, 18.3, 30.0):
        assert float(m.power(v)) == pytest.approx(p_formula(v), rel=2e-3)


# -- evaluator on a hand-computed mission ---------------------------------------------------
def test_objective_by_hand() -> None:
    inst = up.Instance.from_dict(small(speed=10.0))
    sol = up.Solution((0, 1))
    # legs 500 + 400 + 300 = 1200 m at 10 m/s; hover 10 s (a at point 0) + 2 s (b at point 1)
    expected = p_formula(10.0) * 1200 / 10 + p_formula(0.0) * 12
    assert up.objective(inst, sol) == pytest.approx(expected, rel=2e-3)
    assert up.verify(inst, sol) == []
    speeds = up.Solution((1, 0), (20.0, 10.0, 25.0))
    expected = (p_formula(20) * 300 / 20 + p_formula(10) * 400 / 10 + p_formula(25) * 500 / 25
                + p_formula(0) * 12)
    inst_free = up.Instance.from_dict(small())
    assert up.objective(inst_free, speeds) == pytest.approx(expected, rel=2e-3)
    length = up.Instance.from_dict({"base": [0, 0], "points": [[3, 4], [3, 0]],
                                    "objective": "length"})
    assert up.objective(length, up.Solution((0, 1))) == pytest.approx(12.0)


def test_euc_2d_rounds_each_edge() -> None:
    inst = up.Instance.from_dict({"base": [0, 0], "points": [[1, 1], [2, 2]],
                                  "objective": "length", "distance": "euc_2d"})
    # edges sqrt2 -> 1, sqrt2 -> 1, sqrt8 -> 3
    assert up.objective(inst, up.Solution((0, 1))) == 5.0


def test_verifier_finds_each_violation() -> None:
    inst = up.Instance.from_dict(small(battery=1e5, deadline=1e4))
    kinds = {v.constraint for v in up.verify(inst, up.Solution((0, 0)))}
    assert {"tour[1]", "tour.cover"} <= kinds
    assert {v.constraint for v in up.verify(inst, up.Solution((0,)))} >= {"tour.size"}
    assert {v.constraint for v in up.verify(inst, up.Solution((0, 5)))} >= {"tour[1]"}
    bad_speed = up.verify(inst, up.Solution((0, 1), (10.0, -1.0, 99.0)))
    assert {v.constraint for v in bad_speed} == {"speeds[1]", "speeds[2]"}
    assert {v.constraint for v in up.verify(inst, up.Solution((0, 1), (10.0,)))} == {
        "speeds.size"}
    tight = up.Instance.from_dict(small(battery=1000.0))
    assert [v.constraint for v in up.verify(tight, up.Solution((0, 1)))] == ["battery"]
    late = up.Instance.from_dict(small(deadline=20.0))
    assert [v.constraint for v in up.verify(late, up.Solution((0, 1)))] == ["deadline"]
    far = up.Instance.from_dict(small(comm_range=20.0))
    assert [v.constraint for v in up.verify(far, up.Solution((0, 1)))] == ["range[device=b]"]


def test_nearest_point_in_range_serves_each_device() -> None:
    from formulations.uav_path.evaluate import hover_times

    inst = up.Instance.from_dict(small())
    assert hover_times(inst) == [10.0, 2.0]
    pinned = small()
    pinned["devices"][1]["point"] = 0
    pinned["comm_range"] = None
    assert hover_times(up.Instance.from_dict(pinned)) == [12.0, 0.0]


def test_points_default_to_device_positions() -> None:
    data = small()
    del data["points"]
    inst = up.Instance.from_dict(data)
    assert inst.points == ((310.0, 400.0), (300.0, 50.0))
    assert up.Instance.from_dict(inst.to_dict()) == inst


# -- bad input: one small dict per rule -----------------------------------------------------
def bad(mutate) -> InvalidInstanceError:
    data = small()
    mutate(data)
    with pytest.raises(InvalidInstanceError) as info:
        up.Instance.from_dict(data)
    return info.value


def test_duplicate_device_ids() -> None:
    err = bad(lambda d: d["devices"][1].update(id="a"))
    assert err.field == "devices[1].id" and "duplicate" in err.message


def test_negative_data_volume() -> None:
    assert bad(lambda d: d["devices"][0].update(data_bits=-1.0)).field == "devices[0].data_bits"


@pytest.mark.parametrize("value", [0.0, -5.0])
def test_battery_not_positive(value: float) -> None:
    assert bad(lambda d: d.update(battery=value)).field == "battery"


def test_nan_coordinates() -> None:
    assert bad(lambda d: d.update(base=[math.nan, 0.0])).field == "base[0]"
    assert bad(lambda d: d["points"][1].__setitem__(1, math.nan)).field == "points[1][1]"
    err = bad(lambda d: d["devices"][0].update(position=[0.0, math.inf]))
    assert err.field == "devices[0].position[1]"


def test_other_rules() -> None:
    assert bad(lambda d: d["devices"][0].update(rate=0.0)).field == "devices[0].rate"
    assert bad(lambda d: d["devices"][0].update(point=7)).field == "devices[0].point"
    assert bad(lambda d: d["devices"][0].update(data_bits="12")).field == "devices[0].data_bits"
    assert bad(lambda d: d.update(points=[])).field == "points"
    assert bad(lambda d: d.update(points=[[1.0, 2.0, 3.0]])).field == "points[0]"
    assert bad(lambda d: d.update(comm_range=-1.0)).field == "comm_range"
    assert bad(lambda d: d.update(speed=40.0)).field == "speed"
    assert bad(lambda d: d.update(max_speed=0.1)).field == "max_speed"
    assert bad(lambda d: d.update(objective="length", battery=5.0)).field == "battery"
    assert bad(lambda d: d.update(energy_model={"weight": 0.0})).field == "energy_model.weight"
    assert bad(lambda d: d.update(colour="red")).field == "colour"
    with pytest.raises(InvalidInstanceError) as info:
        up.Instance.from_dict({"base": [0, 0]})
    assert info.value.field == "points"
    with pytest.raises(InvalidInstanceError) as info:
        up.Solution.from_dict({"tour": [0, "x"]})
    assert info.value.field == "tour[1]"


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    data = small()
    data["devices"][1]["id"] = "a"
    path = tmp_path / "dup.json"
    path.write_text(json.dumps({"formulation": "uav_path", "version": 1, "data": data}))
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 2
    assert "devices[1].id" in result.output and "Traceback" not in result.output


def test_cli_infeasible_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "far.json"
    path.write_text(json.dumps({"formulation": "uav_path", "version": 1,
                                "data": small(comm_range=5.0)}))
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 3, result.output


# -- round trips and the TSPLIB reader ------------------------------------------------------
def test_round_trip_with_every_field() -> None:
    inst = up.Instance.from_dict(small(speed=12.0, battery=3e5, deadline=900.0,
                                       energy_model={"weight": 25.0}))
    again = up.Instance.from_dict(json.loads(json.dumps(inst.to_dict(), allow_nan=False)))
    assert again == inst and again.energy_model.weight == 25.0
    sol = up.Solution((1, 0), (10.0, 11.0, 12.0))
    assert up.Solution.from_dict(json.loads(json.dumps(sol.to_dict()))) == sol


def test_tsplib_reader() -> None:
    inst = up.read_tsplib(TSPLIB / "eil51.tsp")
    assert inst.n == 50 and inst.base == (37.0, 52.0)
    assert inst.objective == "length" and inst.distance == "euc_2d"
    ident = up.Solution(tuple(range(50)))
    assert up.objective(inst, ident) == float(int(up.objective(inst, ident)))


def test_tsplib_bad_files() -> None:
    with pytest.raises(InvalidInstanceError) as info:
        parse_tsplib("NAME: x\nTYPE: TSP\nEDGE_WEIGHT_TYPE: GEO\nNODE_COORD_SECTION\n1 0 0\n"
                     "2 1 1\nEOF\n")
    assert info.value.field == "EDGE_WEIGHT_TYPE"
    with pytest.raises(InvalidInstanceError) as info:
        parse_tsplib("NAME: x\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
                     "1 0 0\n2 1 1\nEOF\n")
    assert info.value.field == "DIMENSION"
    with pytest.raises(InvalidInstanceError) as info:
        parse_tsplib("EDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 nan 1\nEOF\n")
    assert info.value.field == "NODE_COORD_SECTION"


def test_bundled_instances_load() -> None:
    from edgeopt_solve import io

    names = sorted(p.stem for p in INSTANCES.glob("*.json"))
    assert "demo" in names and "eil51" in names
    for path in INSTANCES.glob("*.json"):
        loaded = io.load(path)
        assert loaded.formulation == "uav_path" and loaded.expected is not None


def test_cli_reads_tsplib(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["solve", str(TSPLIB / "eil51.tsp"), "--method",
                                      "nn-2opt", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    body = body[0] if isinstance(body, list) else body
    assert body["formulation"] == "uav_path" and body["objective"] >= 426


def test_plot_draws_tour() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = up.Instance.from_dict(small())
    fig, ax = plt.subplots()
    up.plot(inst, up.Solution((0, 1)), ax)
    assert len(ax.lines) >= 4
    plt.close(fig)
