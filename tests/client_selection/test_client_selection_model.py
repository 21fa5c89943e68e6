"""Instance/solution validation, round trips and the independent verifier."""

from __future__ import annotations

import contextlib
import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.client_selection as cs
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.testing import with_value

GOOD = {
    "clients": [
        {"id": "a", "download_time": 2.0, "update_time": 3.0, "upload_time": 1.0},
        {"id": "b", "download_time": 2.0, "update_time": 5.0, "upload_time": 1.0},
        {"id": "c", "download_time": 2.0, "update_time": 4.0, "upload_time": 3.0},
    ],
    "deadline": 10.0,
}


def bad(path: list, value: object) -> dict:
    return with_value(GOOD, path, value)


@pytest.mark.parametrize(("data", "field"), [
    (bad(["clients", 1, "download_time"], -1.0), "clients[1].download_time"),
    (bad(["clients", 0, "update_time"], -0.5), "clients[0].update_time"),
    (bad(["clients", 2, "upload_time"], -3.0), "clients[2].upload_time"),
    (bad(["clients", 2, "weight"], -1.0), "clients[2].weight"),
    (bad(["clients", 0, "energy"], -1.0), "clients[0].energy"),
    (bad(["clients", 0, "energy_budget"], -1.0), "clients[0].energy_budget"),
    (bad(["clients", 0, "classes"], ["x", "x"]), "clients[0].classes"),
    (bad(["deadline"], 0.0), "deadline"),
    (bad(["deadline"], -5.0), "deadline"),
    (bad(["selection_time"], -1.0), "selection_time"),
    (bad(["aggregation_time"], -1.0), "aggregation_time"),
    ({**GOOD, "selection_time": 6.0, "aggregation_time": 5.0}, "deadline"),
    (bad(["clients", 2, "id"], "a"), "clients[2].id"),
    (bad(["clients", 0, "upload_time"], "1"), "clients[0].upload_time"),
    (bad(["clients", 0, "upload_time"], float("nan")), "clients[0].upload_time"),
    (bad(["download"], "multicast"), "download"),
    (bad(["min_coverage"], {"cat": -1}), "min_coverage.cat"),
    ({**GOOD, "extra": 1}, "extra"),
    ({"deadline": 1.0}, "clients"),
    ({**GOOD, "clients": [{"id": "a", "download_time": 1e308, "update_time": 1e308,
                           "upload_time": 1.0}]}, "clients"),
])
def test_bad_input_names_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as err:
        cs.Instance.from_dict(data)
    assert err.value.field == field


def test_duplicate_id_message_names_both() -> None:
    with pytest.raises(InvalidInstanceError, match="duplicate client id 'a'"):
        cs.Instance.from_dict(bad(["clients", 2, "id"], "a"))


def test_round_trip_and_defaults() -> None:
    inst = cs.Instance.from_dict(GOOD)
    assert inst.clients[0].weight == 1.0 and inst.download == "broadcast"
    assert cs.Instance.from_dict(inst.to_dict()) == inst
    text = json.dumps(inst.to_dict(), allow_nan=False)
    assert cs.Instance.from_dict(json.loads(text)) == inst
    sol = cs.Solution(("a", "c"))
    assert cs.Solution.from_dict(json.loads(json.dumps(sol.to_dict()))) == sol
    assert "properties" in cs.Instance.json_schema()


def test_bad_solution_dict() -> None:
    with pytest.raises(InvalidInstanceError) as err:
        cs.Solution.from_dict({"selected": ["a", 3]})
    assert err.value.field == "selected[1]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_from_dict_only_raises_invalid_instance(value: object) -> None:
    for candidate in (value, {**GOOD, "clients": value}, {**GOOD, "deadline": value},
                      bad(["clients", 0, "update_time"], value)):
        with contextlib.suppress(InvalidInstanceError):
            cs.Instance.from_dict(candidate)


def test_verifier_replays_the_round() -> None:
    inst = cs.Instance.from_dict(GOOD)
    # a: broadcast ends at 2, update to 5, upload 5-6; c: ready 6, 6-9; b: ready 7, 9-10
    ok = cs.Solution(("a", "c", "b"))
    assert cs.verify(inst, ok) == []
    assert cs.objective(inst, ok) == 3.0
    rows = cs.schedule(inst, ok)
    assert [r[2:] for r in rows] == [(5.0, 6.0), (6.0, 9.0), (9.0, 10.0)]
    late = cs.verify(inst, cs.Solution(("a", "b", "c")))  # c ends at 11
    assert [v.constraint for v in late] == ["deadline"]
    assert late[0].amount == pytest.approx(1.0)
    assert cs.verify(inst, cs.Solution(("a", "zz")))[0].constraint == "selected[1]"
    assert "twice" in cs.verify(inst, cs.Solution(("a", "a")))[0].message
    assert cs.verify(inst, cs.Solution(())) == []


def test_verifier_parallel_download_energy_and_coverage() -> None:
    data = copy.deepcopy(GOOD)
    data["download"] = "parallel"
    data["clients"][0]["download_time"] = 6.0      # a ready at 9, uploads 9-10
    data["clients"][1].update({"energy": 5.0, "energy_budget": 4.0, "classes": ["cat"]})
    data["min_coverage"] = {"cat": 1}
    inst = cs.Instance.from_dict(data)
    assert cs.verify(inst, cs.Solution(("a",)))[0].constraint == "coverage[class=cat]"
    got = {v.constraint for v in cs.verify(inst, cs.Solution(("b",)))}
    assert got == {"energy[client=b]"}
    assert cs.verify(inst, cs.Solution(("c", "a"))) != []  # c 6-9, a 9-10 ... plus coverage
    assert cs.schedule(inst, cs.Solution(("c", "a")))[1][2:] == (9.0, 10.0)


def test_plot_draws_one_row_per_selected_client() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = cs.Instance.from_dict(GOOD)
    fig, ax = plt.subplots()
    try:
        cs.plot(inst, cs.Solution(("a", "c", "b")), ax)
        assert len(ax.patches) == 9  # download, update, upload per client
        assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c", "a"]
    finally:
        plt.close(fig)
