"""Placement: the OR-Library GAP reader and the bundled instance files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeopt_solve import InvalidInstanceError
from edgeopt_solve.io import load
from formulations import placement as P
from formulations.placement.io_orlib import parse_orlib_gap, read_orlib_gap

ROOT = Path(__file__).resolve().parents[2]
GAP_DIR = ROOT.parent / "shared" / "benchmarks" / "gap"
TINY = "2 3\n1 2 3\n4 5 6\n1 1 2\n2 2 1\n3 4\n"


def test_parse_tiny_file() -> None:
    inst = parse_orlib_gap(TINY)
    assert inst.cost == ((1.0, 2.0, 3.0), (4.0, 5.0, 6.0))
    assert inst.weight == ((1, 1, 2), (2, 2, 1))
    assert inst.capacity == (3, 4)
    assert inst.penalty == (None, None, None)


@pytest.mark.parametrize(("text", "field"), [
    ("2 3\n1 2 3\n4 5", "body"),
    ("2 3\n1 2 x 4 5 6 1 1 2 2 2 1 3 4", "token[4]"),
    ("", "header"),
    ("0 3", "header"),
    (TINY + " 9", "body"),
    ("2 3\n1 2 3\n4 5 6\n1 1 2\n2 2 1\n3 -4\n", "capacity[1]"),
    ("2 3\n1 2 3\n4 5 6\n1 -1 2\n2 2 1\n3 4\n", "weight[0][1]"),
])
def test_bad_files(text: str, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        parse_orlib_gap(text)
    assert info.value.field == field


def test_shared_files_load_through_the_io_layer() -> None:
    loaded = load(GAP_DIR / "gap1-0", format="orlib-gap")
    assert loaded.formulation == "placement"
    assert (loaded.instance.m, loaded.instance.n) == (5, 15)
    assert P.FORMATS["orlib-gap"] is read_orlib_gap
    big = read_orlib_gap(GAP_DIR / "c05200")
    assert (big.m, big.n) == (5, 200)


def test_bundled_gap_json_matches_the_original() -> None:
    for name in ("gap1-0", "gap3-0", "gap5-0"):
        env = json.loads((ROOT / "instances" / "placement" / f"{name}.json").read_text())
        assert env["formulation"] == "placement" and env["version"] == 1
        assert P.Instance.from_dict(env["data"]) == read_orlib_gap(GAP_DIR / name)


def test_plot_draws_bars_and_capacities() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = P.generate(8, 1)
    res = P.solve(inst, "milp")
    fig, ax = plt.subplots()
    P.plot(inst, res.solution, ax)
    placed = sum(a is not None for a in res.solution.assignment)
    assert len(ax.patches) == placed
    assert len(ax.collections) == inst.m
    plt.close(fig)
    assert hash(inst) == hash(P.generate(8, 1))
