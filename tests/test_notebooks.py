"""The notebooks never rot: each is executed (small sizes) and must be committed stripped.

Every ``notebooks/*.ipynb`` is picked up automatically; a new formulation's notebook needs
no change here. Kernel ``python3`` from the running interpreter's environment, working
directory ``notebooks/``, ``MPLBACKEND=Agg``, ``EDGEOPT_FULL`` unset (small run).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
TIMEOUT = 300  # seconds per cell (each notebook takes < 60 s in total on 2 cores)


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_every_formulation_has_a_notebook() -> None:
    """The overview plus one notebook per built-in formulation present (same file stem)."""
    from edgeopt_solve import registry

    names = {p.stem for p in PATHS}
    assert "overview" in names
    missing = sorted((set(registry.names()) & set(registry.BUILTIN)) - names)
    assert not missing, f"add notebooks/<name>.ipynb (see notebooks/README.md): {missing}"


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_is_stripped(path: Path) -> None:
    """Committed without outputs: no code cell has outputs or an execution count."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {k} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {k} was executed"


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", NOTEBOOKS / "make_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_notebooks_match_generator() -> None:
    """Notebooks that ``make_notebooks.py`` writes are exactly what it writes now."""
    built = _generator().build_all()
    for name, nb in built.items():
        path = NOTEBOOKS / f"{name}.ipynb"
        assert path.exists(), f"run: python notebooks/make_notebooks.py {name}"
        committed = nbformat.read(path, as_version=4)
        assert [c.source for c in committed.cells] == [c.source for c in nb.cells], (
            f"{path.name} differs from make_notebooks.py; regenerate it")


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_executes(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run every cell; any error (a failed assertion in a cell too) fails the test."""
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("EDGEOPT_FULL", raising=False)
    monkeypatch.setenv("EDGEOPT_RESULTS", str(tmp_path))  # results files land here
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    assert elapsed < TIMEOUT, f"{path.name} took {elapsed:.0f} s"
    assert list(tmp_path.glob("*.csv")), "the sweep wrote no results file"
