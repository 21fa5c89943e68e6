"""Bad input, one file per rule (like PyVRP's tests/test_read.py).

Each bad file must give exit code 2, one line on stderr naming the file and the field,
no traceback, and no output file. The rules that need a particular formulation's
fields (negative capacity, mismatched dimensions, cyclic DNN graph) use that
formulation's own generated instance.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from edgeopt_solve import InvalidInstanceError, io, registry
from edgeopt_solve.cli import app
from edgeopt_solve.io import instance_envelope

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=True)


def assert_bad_input(result, *fragments: str) -> None:
    """Exit 2, exactly one error line naming every fragment, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    text = result.stderr if hasattr(result, "stderr") else result.output
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in text
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])


def envelope(name: str, size: int = 4, seed: int = 0) -> dict[str, Any]:
    module = registry.get(name)
    return instance_envelope(module, module.generate(size, seed), f"{name}-test")


def write(tmp_path: Path, obj: Any, name: str = "bad.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def numeric_leaf(data: Any, path: str = "") -> tuple[str, list[Any]] | None:
    """Path to the first number in ``data`` and a (container, key) to change it."""
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                return (f"{path}.{k}" if path else k), [data, k]
            found = numeric_leaf(v, f"{path}.{k}" if path else k)
            if found:
                return found
    if isinstance(data, list):
        for i, v in enumerate(data):
            if isinstance(v, int | float) and not isinstance(v, bool):
                return f"{path}[{i}]", [data, i]
            found = numeric_leaf(v, f"{path}[{i}]")
            if found:
                return found
    return None


FORMULATIONS = registry.names()
ANY = FORMULATIONS[0] if FORMULATIONS else None


def test_not_json(tmp_path: Path) -> None:
    path = write(tmp_path, "this is not json")
    assert_bad_input(run("solve", str(path)), str(path), "not valid JSON")


def test_truncated_json(tmp_path: Path) -> None:
    text = json.dumps(envelope(ANY))
    path = write(tmp_path, text[: len(text) // 2])
    assert_bad_input(run("solve", str(path)), str(path), "truncated JSON")


def test_unknown_formulation(tmp_path: Path) -> None:
    env = envelope(ANY)
    env["formulation"] = "teleportation"
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "formulation", "teleportation")


def test_wrong_version(tmp_path: Path) -> None:
    env = envelope(ANY)
    env["version"] = 99
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "version")


def test_missing_envelope_field(tmp_path: Path) -> None:
    env = envelope(ANY)
    del env["data"]
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "data")


@pytest.mark.parametrize("name", FORMULATIONS)
def test_missing_data_field(tmp_path: Path, name: str) -> None:
    env = envelope(name)
    key = registry.get(name).Instance.json_schema()["required"][0]
    del env["data"][key]
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), f"data.{key}")


@pytest.mark.parametrize("name", FORMULATIONS)
def test_wrong_type(tmp_path: Path, name: str) -> None:
    env = envelope(name)
    where, (container, key) = numeric_leaf(env["data"])
    container[key] = "twelve"
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), f"data.{where}")


@pytest.mark.parametrize("name", FORMULATIONS)
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_nan_and_inf(tmp_path: Path, name: str, value: float) -> None:
    env = envelope(name)
    where, (container, key) = numeric_leaf(env["data"])
    container[key] = value
    path = write(tmp_path, json.dumps(env))  # writes the NaN / Infinity literals
    assert_bad_input(run("solve", str(path)), str(path), f"data.{where}")


def test_unknown_method(tmp_path: Path) -> None:
    path = write(tmp_path, envelope(ANY))
    assert_bad_input(run("solve", str(path), "--method", "magic"), str(path), "method", "magic")


@pytest.mark.parametrize("limit", ["0", "-5"])
def test_non_positive_time_limit(tmp_path: Path, limit: str) -> None:
    path = write(tmp_path, envelope(ANY))
    assert_bad_input(run("solve", str(path), "--time-limit", limit), "time")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    assert_bad_input(run("solve", str(path)), str(path), "not found")


def test_unreadable_file_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root reads any file, so the permission error is injected where the file is read."""
    path = write(tmp_path, envelope(ANY))

    def denied(self: Path, *args: Any, **kwargs: Any) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", denied)
    assert_bad_input(run("solve", str(path)), str(path), "permission denied")


def test_unreadable_file(tmp_path: Path) -> None:
    """A directory and a binary file: neither can be read as an instance."""
    assert_bad_input(run("solve", str(tmp_path)), str(tmp_path), "directory")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert_bad_input(run("solve", str(binary)), str(binary), "UTF-8")


def test_solution_for_another_instance(tmp_path: Path) -> None:
    a, b = write(tmp_path, envelope(ANY, seed=0), "a.json"), write(
        tmp_path, envelope(ANY, seed=1), "b.json")
    out = tmp_path / "out"
    assert run("solve", str(a), "--out", str(out)).exit_code == 0
    sol = next(out.glob("*.solution.json"))
    assert run("verify", str(a), str(sol)).exit_code == 0
    assert_bad_input(run("verify", str(b), str(sol)), str(sol), "instance.hash")


def test_nothing_written_on_bad_input(tmp_path: Path) -> None:
    good = write(tmp_path, envelope(ANY), "good.json")
    bad = write(tmp_path, "{", "bad.json")
    out = tmp_path / "out"
    assert_bad_input(run("solve", str(good), str(bad), "--out", str(out)), str(bad))
    assert not out.exists() or not any(out.iterdir())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("name", FORMULATIONS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values)
def test_fuzz_loader_raises_only_invalid_instance(name: str, data: Any) -> None:
    """Random JSON values as the whole envelope, as ``data``, and inside a valid ``data``."""
    valid = envelope(name)
    candidates = [data, {**valid, "data": data}]
    if isinstance(valid["data"], dict) and valid["data"]:
        first = next(iter(valid["data"]))
        mutated = copy.deepcopy(valid)
        mutated["data"][first] = data
        candidates.append(mutated)
    for raw in candidates:
        with contextlib.suppress(InvalidInstanceError):
            io.load_envelope(raw, "fuzz.json")


# ---- rules that need a particular formulation's fields -------------------------------


def test_negative_capacity(tmp_path: Path) -> None:
    env = envelope("placement")
    env["data"]["servers"][1]["capacity"] = -5
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "data.servers[1].capacity")


def test_zero_bandwidth(tmp_path: Path) -> None:
    env = envelope("partition")
    env["data"]["links"][0]["bandwidth"] = 0.0
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "data.links[0].bandwidth")


def test_mismatched_dimensions(tmp_path: Path) -> None:
    """Three tiers need two links between them; one is missing."""
    env = envelope("partition")
    env["data"]["links"] = env["data"]["links"][:1]
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "data.links")


def test_cyclic_dnn_graph(tmp_path: Path) -> None:
    env = envelope("partition")
    layers = env["data"]["model"]["layers"]
    layers[0]["inputs"] = [layers[-1]["name"]]
    path = write(tmp_path, env)
    assert_bad_input(run("solve", str(path)), str(path), "data.model.layers", "cycle")
