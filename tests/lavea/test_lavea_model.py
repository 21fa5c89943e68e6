"""LAVEA model: round trips, derived times, bad input (one rule each), the verifier."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import formulations.lavea as L
from edgeopt_solve import InvalidInstanceError, Status
from edgeopt_solve.cli import app
from edgeopt_solve.io import instance_envelope, load
from formulations.lavea.model import Instance, Solution

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = sorted((ROOT / "instances" / "lavea").glob("*.json"))


def base() -> dict:
    return {
        "objective": "makespan",
        "servers": [{"name": "front"}, {"name": "b", "forward_time": 0.5}],
        "tasks": [
            {"upload": 1.0, "compute": [2.0, 1.0], "local": 5.0},
            {"upload": [2.0, 1.0], "compute": 1.0, "release": 1.0, "weight": 2.0},
            {"upload": 1.0, "compute": [3.0, None]},
        ],
    }


def test_round_trip_and_derived_times() -> None:
    inst = Instance.from_dict(base())
    assert Instance.from_dict(json.loads(json.dumps(inst.to_dict(), allow_nan=False))) == inst
    assert inst.p1 == ((1.0, 1.5), (2.0, 1.5), (1.0, None))
    assert inst.p2 == ((2.0, 1.0), (1.0, 1.0), (3.0, None))
    assert inst.local_time == (5.0, None, None)
    assert inst.allowed == ((0, 1, "local"), (0, 1), (0,))


def test_cost_model_derived_times() -> None:
    data = {"servers": [{"name": "a", "bandwidth": 8e6, "compute_rate": 1e9}],
            "tasks": [{"input_bytes": 1e6, "macs": 2e9, "client_rate": 5e8}]}
    inst = Instance.from_dict(data)
    assert inst.p1[0][0] == pytest.approx(1.0)     # 8 * 1e6 bytes / 8e6 bit/s
    assert inst.p2[0][0] == pytest.approx(2.0)     # 2e9 MAC / 1e9 MAC/s
    assert inst.local_time[0] == pytest.approx(4.0)


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_bundled_instances_load_and_match_expected(path: Path) -> None:
    loaded = load(path)
    assert loaded.formulation == "lavea"
    if loaded.expected is not None:
        res = L.solve(loaded.instance, time_limit=30)
        assert res.status.value == "optimal"
        assert math.isclose(res.objective, loaded.expected, rel_tol=1e-6)


BAD = [
    ("negative upload", lambda d: d["tasks"][0].__setitem__("upload", -1.0), "tasks[0].upload"),
    ("negative compute entry", lambda d: d["tasks"][0].__setitem__("compute", [1.0, -2.0]),
     "tasks[0].compute[1]"),
    ("negative release", lambda d: d["tasks"][1].__setitem__("release", -0.5), "tasks[1].release"),
    ("negative weight", lambda d: d["tasks"][1].__setitem__("weight", -1.0), "tasks[1].weight"),
    ("negative local", lambda d: d["tasks"][0].__setitem__("local", -3.0), "tasks[0].local"),
    ("negative forward", lambda d: d["servers"][1].__setitem__("forward_time", -1.0),
     "servers[1].forward_time"),
    ("pinned to missing server", lambda d: d["tasks"][2].__setitem__("server", 7),
     "tasks[2].server"),
    ("pinned to negative server", lambda d: d["tasks"][2].__setitem__("server", -1),
     "tasks[2].server"),
    ("wrong upload length", lambda d: d["tasks"][1].__setitem__("upload", [1.0]),
     "tasks[1].upload"),
    ("wrong compute length", lambda d: d["tasks"][0].__setitem__("compute", [1.0, 1.0, 1.0]),
     "tasks[0].compute"),
    ("no upload", lambda d: d["tasks"][0].pop("upload"), "tasks[0].upload"),
    ("no compute", lambda d: d["tasks"][0].pop("compute"), "tasks[0].compute"),
    ("upload and bytes", lambda d: d["tasks"][0].__setitem__("input_bytes", 10.0),
     "tasks[0].input_bytes"),
    ("bytes without bandwidth", lambda d: (d["tasks"][0].pop("upload"),
                                           d["tasks"][0].__setitem__("input_bytes", 10.0)),
     "servers[0].bandwidth"),
    ("zero bandwidth", lambda d: d["servers"][0].__setitem__("bandwidth", 0.0),
     "servers[0].bandwidth"),
    ("duplicate server", lambda d: d["servers"][1].__setitem__("name", "front"),
     "servers[1].name"),
    ("no servers", lambda d: d.__setitem__("servers", []), "servers"),
    ("unknown objective", lambda d: d.__setitem__("objective", "latency"), "objective"),
    ("arrival rate 0", lambda d: d.__setitem__("arrivals", {"rate": 0.0}), "arrivals.rate"),
    ("negative arrival rate", lambda d: d.__setitem__("arrivals", {"rate": -2.0}),
     "arrivals.rate"),
    ("trace to missing task", lambda d: d.__setitem__("arrivals", {"trace": [[0.0, 5]]}),
     "arrivals.trace[0][1]"),
    ("decreasing trace", lambda d: d.__setitem__("arrivals", {"trace": [[1.0, 0], [0.5, 1]]}),
     "arrivals.trace[1][0]"),
    ("unknown key", lambda d: d["tasks"][0].__setitem__("colour", "red"), "tasks[0].colour"),
    ("nan upload", lambda d: d["tasks"][0].__setitem__("upload", math.nan), "tasks[0].upload"),
]


@pytest.mark.parametrize(("what", "change", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(what: str, change, field: str) -> None:
    data = copy.deepcopy(base())
    change(data)
    with pytest.raises(InvalidInstanceError) as info:
        Instance.from_dict(data)
    assert field in (info.value.field or ""), info.value.one_line()


@pytest.mark.parametrize(("what", "change", "field"),
                         [b for b in BAD if b[0] in ("negative upload", "pinned to missing server",
                                                     "arrival rate 0")],
                         ids=["negative-upload", "missing-server", "rate-0"])
def test_bad_input_exits_2_from_the_cli(tmp_path: Path, what: str, change, field: str) -> None:
    env = instance_envelope(L, Instance.from_dict(base()), "bad")
    change(env["data"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(env))
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 2, result.output
    assert f"data.{field}" in result.output
    assert "Traceback" not in result.output


def test_infeasible_instances_are_a_status() -> None:
    data = base()
    data["tasks"][2]["server"] = 1          # server 1 cannot run task 2
    inst = Instance.from_dict(data)
    for name in L.METHODS:
        res = L.solve(inst, name, time_limit=5)
        assert res.status.value == "infeasible", name
        assert "task 2" in res.message
    assert L.brute_force(inst) == (Status.INFEASIBLE, None)


# ------------------------------------------------------------------------------ verifier
def flow_shop() -> Instance:
    return Instance.flow_shop([3.0, 1.0, 2.0], [2.0, 4.0, 1.0], release=[0.0, 0.0, 1.0])


def test_verifier_rebuilds_the_schedule() -> None:
    inst = flow_shop()
    sol = Solution((0, 0, 0), ((1, 0, 2),))
    assert L.verify(inst, sol) == []
    # link: 1 [0,1], 0 [1,4], 2 [4,6]; cpu: 1 [1,5], 0 [5,7], 2 [7,8]
    assert L.objective(inst, sol) == 8.0
    explicit = Solution((0, 0, 0), ((1, 0, 2),), (1.0, 0.0, 4.0), (5.0, 1.0, 7.0))
    assert L.verify(inst, explicit) == []
    assert L.objective(inst, explicit) == 8.0


@pytest.mark.parametrize(("up", "cs", "what"), [
    ((0.5, 0.0, 4.0), (5.0, 1.0, 7.0), "overlap[upload"),      # task 0 uploads over task 1
    ((1.0, 0.0, 4.0), (5.0, 0.5, 7.0), "precedence"),          # 1 computes before upload ends
    ((1.0, 0.0, 4.0), (5.0, 1.0, 6.5), "overlap[compute"),     # 2 computes over 0
    ((1.0, 0.0, 0.5), (5.0, 1.0, 7.0), "release"),             # 2 uploads before release 1.0
    ((1.0, 0.0, 4.0), (4.0, 6.0, 10.0), "sequence[compute"),   # compute order 0,1 vs link 1,0
], ids=["link-overlap", "upload-before-compute", "cpu-overlap", "release", "permutation"])
def test_verifier_catches_bad_schedules(up, cs, what) -> None:
    sol = Solution((0, 0, 0), ((1, 0, 2),), up, cs)
    found = L.verify(flow_shop(), sol)
    assert any(what in v.constraint for v in found), found


@pytest.mark.parametrize(("sol", "what"), [
    (Solution((0, 0), ((0, 1),)), "location"),
    (Solution((0, 0, 0), ((0, 1),)), "not ordered"),
    (Solution((0, 0, 0), ((0, 1, 1, 2),)), "twice"),
    (Solution((0, 0, 0), ((0, 1, 2), ())), "order"),
    (Solution((0, 0, "local"), ((0, 1),)), "client"),
    (Solution((0, 0, 3), ((0, 1),)), "no server"),
    (Solution((0, 0, 0), ((0, 1, 7),)), "no task"),
], ids=["short", "missing", "twice", "servers", "no-local", "bad-server", "bad-task"])
def test_verifier_catches_bad_structure(sol: Solution, what: str) -> None:
    found = L.verify(flow_shop(), sol)
    assert found and any(what in str(v) for v in found), found


def test_verifier_checks_pins() -> None:
    data = base()
    data["tasks"][0]["server"] = "local"
    inst = Instance.from_dict(data)
    sol = Solution((0, 0, 0), ((0, 1, 2), ()))
    assert any("pin" in v.constraint for v in L.verify(inst, sol))
    ok = Solution(("local", 0, 0), ((1, 2), ()))
    assert L.verify(inst, ok) == []


def test_solution_round_trip_and_errors() -> None:
    sol = Solution((0, "local"), ((0,), ()), (0.0, None), (1.0, 0.0))
    assert Solution.from_dict(json.loads(json.dumps(sol.to_dict()))) == sol
    with pytest.raises(InvalidInstanceError) as info:
        Solution.from_dict({"location": [0, "cloud"], "order": [[0]]})
    assert "location[1]" in (info.value.field or "")
    with pytest.raises(InvalidInstanceError):
        Solution.from_dict({"location": [0], "order": [[0]], "upload_start": [0.0]})


def test_plot_draws_a_gantt_chart() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = L.generate(6, 1)
    res = L.solve(inst, "dispatch")
    fig, ax = plt.subplots()
    L.plot(inst, res.solution, ax)
    bars = len(ax.patches)
    plt.close(fig)
    offloaded = sum(1 for loc in res.solution.location if loc != "local")
    assert bars == 2 * offloaded + (inst.n - offloaded)
