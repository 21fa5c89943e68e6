"""Shared fixtures: the registered formulations and paths to shared benchmark data."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeopt_solve import registry

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
INSTANCES = ROOT / "instances"

FORMULATIONS = registry.names()


@pytest.fixture(params=FORMULATIONS)
def formulation(request: pytest.FixtureRequest):
    """Each registered formulation module in turn."""
    return registry.get(request.param)
