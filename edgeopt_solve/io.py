"""Instance and solution files: the JSON envelope, foreign formats, atomic writes.

Instance file::

    {"formulation": "partition", "version": 1, "name": "alexnet-lte", "data": {...},
     "expected": {"objective": 0.123}}          # optional: proven optimum of a small one

Solution file: the formulation, the instance's name and hash, the method, status,
objective, bound, gap, runtime, solver versions and the solution itself.

Every error raised here is an :class:`InvalidInstanceError` naming the file and field.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from pydantic import Field

from edgeopt_solve import registry
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.paths import instance_directory
from edgeopt_solve.result import Result
from edgeopt_solve.schema import StrictModel, validate

FORMAT_VERSION = 1

#: foreign formats: name -> formulation whose ``FORMATS`` reads it
FOREIGN_FORMATS: dict[str, str] = {
    "orlib-gap": "placement",
    "tsplib": "uav_path",
    "onnx": "partition",
}
_EXTENSIONS = {".tsp": "tsplib", ".onnx": "onnx", ".gap": "orlib-gap"}


class Expected(StrictModel):
    """Known answer of a bundled instance."""

    objective: float
    source: str = ""
    method: str = ""  # the exact method that proves it, when not the default one


class Envelope(StrictModel):
    """The instance file envelope."""

    formulation: str
    version: Literal[1]
    name: str = ""
    description: str = ""
    data: dict[str, Any]
    expected: Expected | None = None


class SolutionEnvelope(StrictModel):
    """The fields of a solution file that ``verify`` reads."""

    formulation: str
    instance: dict[str, str] = Field(default_factory=dict)
    method: str = ""
    solution: dict[str, Any]


@dataclass(frozen=True)
class LoadedInstance:
    """An instance read from a file, with where it came from."""

    formulation: str
    name: str
    instance: Any
    source: str
    hash: str
    expected: float | None = None

    @property
    def module(self) -> ModuleType:
        """The formulation module."""
        return registry.get(self.formulation)


def read_text(path: str | Path) -> str:
    """The file's text, or an error naming the file."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInstanceError("file not found", source=str(path)) from None
    except IsADirectoryError:
        raise InvalidInstanceError("is a directory, not a file", source=str(path)) from None
    except PermissionError:
        raise InvalidInstanceError("permission denied", source=str(path)) from None
    except UnicodeDecodeError:
        raise InvalidInstanceError("not a UTF-8 text file", source=str(path)) from None
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read: {exc.strerror}", source=str(path)) from None


def parse_json(text: str, source: str) -> Any:
    """Parse JSON; NaN/Infinity literals pass through so the schema can name their field."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        what = "truncated JSON" if truncated else "not valid JSON"
        raise InvalidInstanceError(
            f"{what}: {exc.msg} (line {exc.lineno}, column {exc.colno})", source=source
        ) from None
    except RecursionError:
        raise InvalidInstanceError("JSON nested too deeply", source=source) from None


def canonical_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON of ``data`` (first 16 hex digits)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def detect_format(path: str | Path, text: str | None = None) -> str:
    """``"json"`` or a foreign format, from the extension or, failing that, the content."""
    suffix = Path(path).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if suffix == ".json":
        return "json"
    if text is None:
        return "json"
    head = text.lstrip()[:2000]
    if head.startswith(("{", "[")):
        return "json"
    if "NODE_COORD_SECTION" in text or head.upper().startswith("NAME"):
        return "tsplib"
    tokens = head.split()
    if tokens and all(t.lstrip("-").isdigit() for t in tokens):
        return "orlib-gap"
    return "json"


def load(path: str | Path, *, format: str | None = None) -> LoadedInstance:
    """Read and validate an instance file of any supported format.

    Parameters
    ----------
    path
        The file.
    format
        ``"json"`` (the native envelope), ``"orlib-gap"``, ``"tsplib"`` or ``"onnx"``;
        recognised from the extension or content when ``None``.

    Raises
    ------
    InvalidInstanceError
        With the file name and field path of the first problem found.
    """
    source = str(path)
    if format is not None and format != "json" and format not in FOREIGN_FORMATS:
        known = ", ".join(["json", *FOREIGN_FORMATS])
        raise InvalidInstanceError(f"unknown format {format!r}; known: {known}",
                                   field="--format", source=source)
    if format in FOREIGN_FORMATS or (format is None and Path(path).suffix.lower() == ".onnx"):
        return _load_foreign(path, format or "onnx")
    text = read_text(path)
    fmt = format or detect_format(path, text)
    if fmt != "json":
        return _load_foreign(path, fmt)
    with instance_directory(Path(path).parent):
        return load_envelope(parse_json(text, source), source)


def load_envelope(raw: Any, source: str) -> LoadedInstance:
    """Validate a parsed instance envelope and the formulation's ``data`` inside it."""
    try:
        env = validate(Envelope, raw)
        module = registry.get(env.formulation)
    except InvalidInstanceError as exc:
        raise exc.located(source=source) from None
    try:
        inst = module.Instance.from_dict(env.data)
    except InvalidInstanceError as exc:
        raise exc.located(source=source, prefix="data") from None
    expected = env.expected.objective if env.expected else None
    name = env.name or Path(source).stem
    return LoadedInstance(env.formulation, name, inst, source, canonical_hash(env.data), expected)


def _load_foreign(path: str | Path, fmt: str) -> LoadedInstance:
    module = registry.get(FOREIGN_FORMATS[fmt])
    readers = getattr(module, "FORMATS", {})
    if fmt not in readers:
        raise InvalidInstanceError(f"format {fmt!r} is not supported by this installation",
                                   source=str(path))
    try:
        inst = readers[fmt](Path(path))
    except InvalidInstanceError as exc:
        raise exc.located(source=str(path)) from None
    data = inst.to_dict()
    return LoadedInstance(module.NAME, Path(path).stem, inst, str(path), canonical_hash(data))


def instance_envelope(module: ModuleType, inst: Any, name: str, **extra: Any) -> dict[str, Any]:
    """The JSON envelope of an instance."""
    env = {"formulation": module.NAME, "version": FORMAT_VERSION, "name": name,
           "data": inst.to_dict()}
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def solution_envelope(loaded: LoadedInstance, result: Result) -> dict[str, Any]:
    """The solution file's fields for ``result`` on ``loaded``."""
    body = result.to_dict()
    return {
        "formulation": loaded.formulation,
        "instance": {"name": loaded.name, "hash": loaded.hash, "source": loaded.source},
        **{k: v for k, v in body.items() if k != "formulation"},
    }


def load_solution(path: str | Path, loaded: LoadedInstance) -> Any:
    """Read a solution file written for ``loaded`` and return its ``Solution``.

    Raises
    ------
    InvalidInstanceError
        If the file is malformed, belongs to another formulation or another instance.
    """
    source = str(path)
    raw = parse_json(read_text(path), source)
    try:
        env = validate(SolutionEnvelope, _solution_fields(raw))
    except InvalidInstanceError as exc:
        raise exc.located(source=source) from None
    if env.formulation != loaded.formulation:
        raise InvalidInstanceError(
            f"solution is for formulation {env.formulation!r}, instance is {loaded.formulation!r}",
            field="formulation", source=source)
    stored = env.instance.get("hash")
    if stored is not None and stored != loaded.hash:
        raise InvalidInstanceError(
            f"solution is for another instance (hash {stored}, this instance {loaded.hash})",
            field="instance.hash", source=source)
    try:
        return loaded.module.Solution.from_dict(env.solution)
    except InvalidInstanceError as exc:
        raise exc.located(source=source, prefix="solution") from None


def _solution_fields(raw: Any) -> Any:
    """Keep only the envelope fields ``verify`` needs (the rest is informational)."""
    if not isinstance(raw, dict):
        return raw
    keep = ("formulation", "instance", "method", "solution")
    out = {k: raw[k] for k in keep if k in raw}
    if isinstance(out.get("instance"), dict):
        out["instance"] = {k: v for k, v in out["instance"].items() if isinstance(v, str)}
    return out


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write JSON to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, allow_nan=False, default=_json_default) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
