"""fl_uplink: bundled instances load, carry provenance and reproduce their optimum."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import formulations.fl_uplink as fu
from edgeopt_solve import Status
from edgeopt_solve.io import load

FILES = sorted((Path(__file__).resolve().parents[2] / "instances" / "fl_uplink").glob("*.json"))


def test_bundled_set() -> None:
    names = {f.stem for f in FILES}
    assert {"demo", "noma_10"} <= names and 2 <= len(FILES) <= 4
    accesses = {load(f).instance.access for f in FILES}
    assert accesses == {"tdma", "noma"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_instance_reproduces_its_optimum(path: Path) -> None:
    loaded = load(path)
    assert loaded.formulation == "fl_uplink" and loaded.expected is not None
    t0 = time.perf_counter()
    res = fu.solve(loaded.instance)
    elapsed = time.perf_counter() - t0
    assert res.status is Status.OPTIMAL
    assert math.isclose(res.objective, loaded.expected, rel_tol=1e-7)
    if path.stem == "demo":
        assert elapsed < 2.0
    text = path.read_text()
    assert "Mo & Xu" in text and "Not confirmed" in text


def test_bundled_noma_is_cheaper_than_tdma_on_the_same_devices() -> None:
    demo = load(FILES[0].parent / "demo.json").instance
    noma = load(FILES[0].parent / "noma_10.json").instance
    assert demo.with_changes(access="noma") == noma
    assert fu.solve(noma).objective < fu.solve(demo).objective


@pytest.mark.parametrize("seed", [0, 1])
def test_plot_draws_a_timeline(seed: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = fu.generate(6, seed)
    sol = fu.solve(inst).solution
    fig, ax = plt.subplots()
    fu.plot(inst, sol, ax)
    assert len(ax.collections) == 2 * inst.n  # a compute and an upload bar per device
    assert inst.access.upper() in ax.get_title()
    plt.close(fig)
