"""Formulation names -> module paths, imported only when asked for.

Built-in formulations are listed as strings; third-party packages add theirs through the
entry-point group ``edgeopt_solve.formulations`` (``name = "package.module"``). Listing
names imports nothing; :func:`describe` imports the formulation module, which imports no
solver library at module level (solver imports live inside the methods).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from edgeopt_solve.exceptions import InvalidOptionError

ENTRY_POINT_GROUP = "edgeopt_solve.formulations"

BUILTIN: dict[str, str] = {
    "placement": "formulations.placement",
    "partition": "formulations.partition",
    "fl_energy": "formulations.fl_energy",
    "fl_fedl": "formulations.fl_fedl",
    "fl_uplink": "formulations.fl_uplink",
    "fl_hierarchical": "formulations.fl_hierarchical",
    "client_selection": "formulations.client_selection",
    "uav_path": "formulations.uav_path",
    "lavea": "formulations.lavea",
}


def _available_builtins() -> dict[str, str]:
    """Built-ins whose package is present in this installation."""
    found = {}
    for name, path in BUILTIN.items():
        if importlib.util.find_spec(path.split(".")[0]) is None:
            continue
        try:
            spec = importlib.util.find_spec(path)
        except ModuleNotFoundError:
            spec = None
        if spec is not None and spec.origin not in (None, "namespace"):  # a real package
            found[name] = path
    return found


def module_paths() -> dict[str, str]:
    """Every known formulation name with its module path (built-ins, then entry points)."""
    paths = _available_builtins()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        paths.setdefault(ep.name, ep.value)
    return dict(sorted(paths.items()))


def names() -> list[str]:
    """Names of every known formulation, sorted."""
    return list(module_paths())


def get(name: str) -> ModuleType:
    """Import and return the formulation module called ``name``."""
    paths = module_paths()
    if name not in paths:
        raise InvalidOptionError(
            f"unknown formulation {name!r}; known: {', '.join(paths) or 'none'}",
            field="formulation")
    return importlib.import_module(paths[name])


@dataclass(frozen=True)
class MethodInfo:
    """A method as listed by ``edgeopt-solve list``."""

    name: str
    exact: bool
    reference: str
    description: str


@dataclass(frozen=True)
class FormulationInfo:
    """A formulation as listed by ``edgeopt-solve list``."""

    name: str
    sense: str
    default_method: str
    methods: tuple[MethodInfo, ...]


def describe(name: str) -> FormulationInfo:
    """Name, sense and methods of a formulation (imports the module, no solver library)."""
    module = get(name)
    methods = tuple(
        MethodInfo(m, spec.exact, spec.reference, spec.description)
        for m, spec in module.METHODS.items()
    )
    return FormulationInfo(module.NAME, module.SENSE, default_method(module), methods)


def default_method(module: ModuleType) -> str:
    """The method ``solve`` uses when none is named."""
    return getattr(module, "DEFAULT_METHOD", "exact")
