"""Bundled instances load through the envelope and solve to their expected optimum."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import formulations.client_selection as cs
from edgeopt_solve.status import Status

FILES = sorted((Path(__file__).parents[2] / "instances" / "client_selection").glob("*.json"))


def test_demo_present() -> None:
    assert any(f.name == "demo.json" for f in FILES) and len(FILES) >= 2


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_bundled_instance(path: Path) -> None:
    env = json.loads(path.read_text())
    assert env["formulation"] == cs.NAME and env["version"] == 1
    inst = cs.Instance.from_dict(env["data"])
    res = cs.solve(inst, cs.DEFAULT_METHOD, time_limit=10)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(env["expected"]["objective"])
    milp = cs.solve(inst, "milp", time_limit=10)
    assert milp.objective == pytest.approx(env["expected"]["objective"])
    fedcs = cs.solve(inst, "fedcs")
    if fedcs.status is Status.FEASIBLE:
        assert fedcs.objective <= res.objective
