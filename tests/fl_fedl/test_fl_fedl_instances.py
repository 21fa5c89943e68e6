"""fl_fedl: bundled instances load, carry provenance, and reproduce their proven optimum."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import formulations.fl_fedl as fl
from edgeopt_solve import Status
from edgeopt_solve.io import load

DIR = Path(__file__).resolve().parents[2] / "instances" / "fl_fedl"
FILES = sorted(DIR.glob("*.json"))


def test_bundled_set() -> None:
    assert "demo" in {f.stem for f in FILES} and 2 <= len(FILES) <= 4


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", ["fast", "cvxpy"])
def test_bundled_instance_reproduces_its_optimum(path: Path, method: str) -> None:
    loaded = load(path)
    assert loaded.formulation == "fl_fedl" and loaded.expected is not None
    t0 = time.perf_counter()
    res = fl.solve(loaded.instance, method)
    elapsed = time.perf_counter() - t0
    assert res.status is Status.OPTIMAL
    assert math.isclose(res.objective, loaded.expected, rel_tol=1e-9 if method == "fast" else 1e-6)
    if path.stem == "demo" and method == "fast":
        assert elapsed < 2.0


def test_provenance_is_stated() -> None:
    text = (DIR / "fedl_paper_50.json").read_text()
    assert "Tran" in text and "not confirmed" in text
    assert load(DIR / "fedl_paper_50.json").instance.n == 50
