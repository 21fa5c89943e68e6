"""Measured tier costs: a tier's per-layer latency from a device profile.

A tier may give ``"profile"``: the path of a profile JSON written by ``edgeopt-solve
profile`` (or the profile itself, inline, as a JSON object), and ``"slowdown"`` (> 0,
default 1): the tier is that many times slower than the profiled machine. The per-layer
latency is then :func:`edgeopt_solve.costmodel.experiment.tier_latencies` of the profile:
the measured (fusion-aware, CPU-clock) median of each layer, and, for layers the profile
lacks, the profile's per-type regression with a logged warning (as
:class:`~edgeopt_solve.costmodel.measured.MeasuredCostModel` does). Profiling needs
onnxruntime; *reading* a profile does not, and nothing here is imported unless a tier
has a profile.

Relative paths. ``Instance.from_dict`` receives only the ``data`` dict, not the file it
came from, so a relative path is resolved against the current working directory first
and, if no such file exists there, against the bundled ``instances/partition/`` folder
(so the bundled ``measured-demo.json`` loads from any directory). The path is kept as
written, so ``to_dict`` writes it back unchanged. Give an absolute path or an inline
profile for files elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph

#: the bundled instances, the second place a relative profile path is looked up
BUNDLED = Path(__file__).resolve().parents[2] / "instances" / "partition"


def profile_latencies(profile: str | dict[str, Any], graph: DnnGraph, slowdown: float,
                      field: str, bundled: Path = BUNDLED) -> tuple[float, ...]:
    """Per-layer latency (s, graph order) of a tier described by ``profile``.

    Raises
    ------
    InvalidInstanceError
        Naming ``field`` (e.g. ``tiers[1].profile``) for a missing or unreadable file, a
        malformed profile, a profile of another model, or layers the profile can neither
        measure nor predict.
    """
    from edgeopt_solve.costmodel.experiment import tier_latencies
    from edgeopt_solve.costmodel.profile import (
        load_profile,
        profile_from_dict,
        resolve_profile_path,
    )

    where = "inline profile" if isinstance(profile, dict) else f"profile {profile!r}"
    try:
        if isinstance(profile, dict):
            prof = profile_from_dict(profile)
        else:
            if not profile:
                raise InvalidInstanceError("must be a file path", field=None)
            prof = load_profile(resolve_profile_path(profile, bundled))
        values = tier_latencies(prof, graph, slowdown)
    except InvalidInstanceError as exc:
        sub = f"{field}.{exc.field}" if exc.field else field
        raise InvalidInstanceError(f"{where}: {exc.message}", field=sub) from None
    except (ValueError, TypeError, KeyError, ArithmeticError, OSError) as exc:
        raise InvalidInstanceError(f"{where}: cannot use it: {exc}", field=field) from None
    return tuple(float(v) for v in values)
