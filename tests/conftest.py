"""Shared fixtures: the registered formulations and paths to shared benchmark data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from edgeopt_solve import registry

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
INSTANCES = ROOT / "instances"

FORMULATIONS = registry.names()

# CI replays the same examples on every run (a red build is then reproducible); locally,
# each run explores new ones. Failures found locally are kept as explicit @example cases.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=FORMULATIONS)
def formulation(request: pytest.FixtureRequest):
    """Each registered formulation module in turn."""
    return registry.get(request.param)
