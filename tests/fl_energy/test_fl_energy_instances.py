"""fl_energy: bundled instances load, carry provenance, and reproduce their optimum."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import formulations.fl_energy as fl
from edgeopt_solve import Status
from edgeopt_solve.io import load

FILES = sorted((Path(__file__).resolve().parents[2] / "instances" / "fl_energy").glob("*.json"))


def test_bundled_set() -> None:
    names = {f.stem for f in FILES}
    assert {"demo", "yang2021_50"} <= names and 2 <= len(FILES) <= 4


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_instance_reproduces_its_optimum(path: Path) -> None:
    loaded = load(path)
    assert loaded.formulation == "fl_energy" and loaded.expected is not None
    t0 = time.perf_counter()
    res = fl.solve(loaded.instance)
    elapsed = time.perf_counter() - t0
    assert res.status is Status.OPTIMAL
    assert math.isclose(res.objective, loaded.expected, rel_tol=1e-7)
    if path.stem == "demo":
        assert elapsed < 2.0


def test_preset_provenance_is_stated() -> None:
    text = (FILES[0].parent / "yang2021_50.json").read_text()
    assert "Yang" in text and "Not confirmed" in text
    inst = load(FILES[0].parent / "yang2021_50.json").instance
    assert inst.n == 50 and inst.bandwidth == 20e6


def test_plot_draws_a_solution() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = fl.generate(8, 0)
    sol = fl.solve(inst).solution
    fig, ax = plt.subplots()
    fl.plot(inst, sol, ax)
    assert len(ax.patches) == inst.n and "eta" in ax.get_title()
    plt.close(fig)
