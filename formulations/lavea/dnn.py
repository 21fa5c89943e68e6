"""Tasks that name a DNN: compute times from a measured profile or the analytic rate model.

A task may give ``"model": "<zoo name>"`` (one of :data:`edgeopt_solve.system.zoo.NAMES`)
instead of explicit compute times. Its compute time on a server (or the cloud) is then:

1. *measured*, when the server lists a ``profile`` of that model (a profile JSON written
   by ``edgeopt-solve profile``; ``profile`` may be one path or a list of paths, one per
   model): the sum over the model's layers of
   :func:`edgeopt_solve.costmodel.experiment.tier_latencies` (measured per-layer medians,
   layers the profile lacks predicted by its regression with a logged warning) times the
   server's ``slowdown`` (> 0, default 1). A profile without a model (a regression-only
   sweep) serves every model;
2. otherwise *analytic*: the model's total MACs / the server's ``compute_rate`` (MAC/s).

Its input size is the model's input tensor (``DnnGraph.input_bytes``, float32) unless the
task gives ``upload`` or ``input_bytes``; its client time with ``client_rate`` is total
MACs / client_rate. Relative profile paths are resolved against the working directory,
then the bundled ``instances/lavea/`` folder (``Instance.from_dict`` does not know the
instance file's directory). onnx/onnxruntime are never imported: reading a profile needs
neither.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph

#: the bundled instances, the second place a relative profile path is looked up
BUNDLED = Path(__file__).resolve().parents[2] / "instances" / "lavea"


def load_graph(name: str, field: str) -> DnnGraph:
    """The zoo model ``name``; an unknown name is an error naming ``field``."""
    from edgeopt_solve.system import zoo

    try:
        return zoo.load(name)
    except InvalidInstanceError as exc:
        raise InvalidInstanceError(exc.message, field=field) from None


def total_macs(graph: DnnGraph) -> float:
    """MACs of one inference."""
    return float(sum(layer.macs for layer in graph.layers))


def load_profiles(paths: str | tuple[str, ...], field: str) -> list[Any]:
    """The profiles of a server (validated); errors name ``field`` (``[i]`` for a list)."""
    from edgeopt_solve.costmodel.profile import load_profile, resolve_profile_path

    many = not isinstance(paths, str)
    items = list(paths) if many else [paths]
    out = []
    for i, path in enumerate(items):
        where = f"{field}[{i}]" if many else field
        try:
            if not path:
                raise InvalidInstanceError("must be a file path")
            out.append(load_profile(resolve_profile_path(path, BUNDLED)))
        except InvalidInstanceError as exc:
            sub = f"{where}.{exc.field}" if exc.field else where
            raise InvalidInstanceError(f"profile {path!r}: {exc.message}", field=sub) from None
        except (ValueError, OSError) as exc:
            raise InvalidInstanceError(f"profile {path!r}: cannot read it: {exc}",
                                       field=where) from None
    return out


def measured_time(profiles: list[Any], graph: DnnGraph, slowdown: float,
                  field: str) -> float | None:
    """Seconds to run ``graph`` from the matching profile, or ``None`` if none matches.

    The profile of the same model name (or structure hash) is preferred; a profile
    without a model (regression only) serves any model.
    """
    from edgeopt_solve.costmodel.experiment import tier_latencies
    from edgeopt_solve.costmodel.onnx_build import graph_hash

    match = None
    digest = None
    for prof in profiles:
        if prof.model is None:
            match = match or prof
            continue
        if prof.model.name == graph.name:
            match = prof
            break
        digest = digest or graph_hash(graph)
        if prof.model.hash == digest:
            match = prof
            break
    if match is None:
        return None
    try:
        return float(sum(tier_latencies(match, graph, slowdown)))
    except InvalidInstanceError as exc:
        sub = f"{field}.{exc.field}" if exc.field else field
        raise InvalidInstanceError(f"profile for {graph.name!r}: {exc.message}",
                                   field=sub) from None
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        raise InvalidInstanceError(f"profile for {graph.name!r}: cannot use it: {exc}",
                                   field=field) from None
