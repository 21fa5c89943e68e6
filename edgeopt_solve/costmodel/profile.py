"""The device profile file: what was measured, on which machine, with which runtime.

A profile is JSON validated by :class:`Profile` (strict pydantic: unknown keys, wrong types,
NaN and inf are errors naming the field) when read back with :func:`load_profile`.
Times are in seconds, sizes in bytes, powers in watts.

Layout::

    {"format": "edgeopt-profile", "version": 1, "date": "...",
     "model": {"name", "hash", "source", "layers"},
     "machine": {"cpu_model", "physical_cores", "logical_cpus", "platform", "python"},
     "runtime": {"onnxruntime", "onnx", "threads", "execution_mode", "warmup", "runs"},
     "layers": {name: {"op", "median", "spread", "min", "max", "n", "optimised", "nodes"}},
     "whole_model": {"unoptimised": Stat, "optimised": Stat, "unoptimised_cpu": Stat,
                     "optimised_cpu": Stat, "sum_of_layers", "fusion_ratio", "overhead"},
     "regression": {"features", "folds", "types": {type: {"coef", "samples", "cv_mape"}}},
     "serialisation": {"per_message", "per_byte"},
     "energy": {"source", "joules_per_run", "average_power", "reason"},
     "segments": [{"kind", "start", "stop", "first", "last", "layers", "unoptimised",
                   "optimised", "unoptimised_cpu", "optimised_cpu", "fusion_ratio"}]}

``segments`` (optional; profiles written before it existed load unchanged) holds the
latency of extracted sub-models with optimisations off and on, so fusion inside the
segments a partition plan runs is known (see :mod:`~edgeopt_solve.costmodel.segments`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate

PROFILE_FORMAT = "edgeopt-profile"

NonNeg = Field(ge=0)


class Stat(StrictModel):
    """Median and spread (inter-quartile range) of repeated timings, s."""

    median: float = Field(ge=0)
    spread: float = Field(ge=0)
    min: float = Field(ge=0)
    max: float = Field(ge=0)
    n: int = Field(ge=1)


class LayerStat(Stat):
    """One layer's kernel time with optimisations off, and its fusion-aware share."""

    op: str
    optimised: float | None = Field(default=None, ge=0)
    nodes: list[str] = Field(default_factory=list)


class ModelInfo(StrictModel):
    """Which model was profiled."""

    name: str
    hash: str
    source: str = ""
    layers: int = Field(ge=0)


class Machine(StrictModel):
    """Where it was profiled."""

    cpu_model: str
    physical_cores: int = Field(ge=0)
    logical_cpus: int = Field(ge=0)
    platform: str
    python: str


class Runtime(StrictModel):
    """How it was profiled."""

    onnxruntime: str
    onnx: str
    threads: int = Field(ge=1)
    execution_mode: Literal["sequential"] = "sequential"
    warmup: int = Field(ge=0)
    runs: int = Field(ge=1)


class WholeModel(StrictModel):
    """Whole-model latency with optimisations off and on (the difference is fusion): wall
    clock, and the calling thread's CPU time (what a dedicated CPU would take)."""

    unoptimised: Stat
    optimised: Stat
    unoptimised_cpu: Stat | None = None
    optimised_cpu: Stat | None = None
    sum_of_layers: float = Field(ge=0)
    fusion_ratio: float = Field(gt=0)
    overhead: float


class TypeFit(StrictModel):
    """One layer type's fit and its cross-validated error.

    ``linear``: latency = sum(coef[f] * f); ``log``: ln latency = sum(coef[f] * ln(1 + f))
    (with ``coef["const"]`` multiplying 1).
    """

    form: Literal["linear", "log"] = "linear"
    coef: dict[str, float]
    samples: int = Field(ge=1)
    cv_mape: float = Field(ge=0)


class Regression(StrictModel):
    """Per-type latency regression fitted on a sweep of generated layers."""

    features: list[str]
    folds: int = Field(ge=2)
    types: dict[str, TypeFit]


class Serialisation(StrictModel):
    """Measured cost of turning tensors into bytes and back: per_message + per_byte*bytes."""

    per_message: float = Field(ge=0)
    per_byte: float = Field(ge=0)


class Energy(StrictModel):
    """How energy is known: ``"rapl"`` = measured package energy per optimised whole-model
    run; ``"model"`` = not measurable here (``reason`` says why), so energy is modelled as
    power x time; ``"none"`` = written by older versions (same meaning as ``"model"``)."""

    source: Literal["rapl", "model", "none"]
    joules_per_run: float | None = Field(default=None, ge=0)
    average_power: float | None = Field(default=None, ge=0)
    reason: str = ""

    @property
    def measured(self) -> bool:
        """Whether the energy was measured (RAPL) rather than modelled."""
        return self.source == "rapl" and self.average_power is not None


class SegmentStat(StrictModel):
    """One contiguous run of layers (topological order ``start`` .. ``stop - 1``) extracted
    as its own ONNX model and timed as one session call, with graph optimisations off and
    on: ``fusion_ratio = optimised / unoptimised`` (CPU clock when recorded, else wall),
    < 1 when fusion helps. ``kind``: ``prefix`` (what a device runs for a single cut at
    ``stop``), ``suffix`` (what the server runs for a cut at ``start``) or ``segment``
    (between two consecutive profiled cut points, a middle tier)."""

    kind: Literal["prefix", "suffix", "segment"]
    start: int = Field(ge=0)
    stop: int = Field(ge=1)
    first: str
    last: str
    layers: int = Field(ge=1)
    unoptimised: Stat
    optimised: Stat
    unoptimised_cpu: Stat | None = None
    optimised_cpu: Stat | None = None
    fusion_ratio: float = Field(gt=0)


class Profile(StrictModel):
    """A device profile (see the module docstring)."""

    format: Literal["edgeopt-profile"] = PROFILE_FORMAT
    version: Literal[1] = 1
    date: str
    model: ModelInfo | None = None
    machine: Machine
    runtime: Runtime
    layers: dict[str, LayerStat] = Field(default_factory=dict)
    whole_model: WholeModel | None = None
    regression: Regression | None = None
    serialisation: Serialisation | None = None
    energy: Energy | None = None
    segments: list[SegmentStat] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


def resolve_profile_path(path: str | Path, bundled: Path) -> Path:
    """Where a profile named in an instance lives (see :func:`edgeopt_solve.paths.resolve`).

    Absolute, else next to the instance file being loaded, else relative to the working
    directory, else under ``bundled`` (a formulation's ``instances/<name>/`` folder).
    """
    from edgeopt_solve.paths import resolve

    return resolve(path, bundled)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file.

    Raises
    ------
    InvalidInstanceError
        Naming the file and the field of the first problem.
    """
    from edgeopt_solve.io import parse_json, read_text

    source = str(path)
    raw = parse_json(read_text(path), source)
    return profile_from_dict(raw, source)


def profile_from_dict(raw: Any, source: str | None = None) -> Profile:
    """Validate a parsed profile."""
    try:
        if isinstance(raw, dict) and raw.get("format") not in (None, PROFILE_FORMAT):
            raise InvalidInstanceError(f"not an edgeopt profile (format {raw.get('format')!r})",
                                       field="format")
        return validate(Profile, raw)
    except InvalidInstanceError as exc:
        raise exc.located(source=source) from None


def save_profile(profile: Profile, path: str | Path) -> None:
    """Write a profile atomically."""
    from edgeopt_solve.io import write_json_atomic

    write_json_atomic(path, profile.to_dict())


def dumps(profile: Profile) -> str:
    """The profile as indented JSON text."""
    return json.dumps(profile.to_dict(), indent=2, allow_nan=False)
