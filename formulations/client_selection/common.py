"""Arrays the methods share: eligible clients, release times, thresholds, output order.

Not used by the evaluator (``evaluate.py``) nor by ``brute_force``, which recompute
everything from the instance on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Instance, Solution


@dataclass(frozen=True)
class Prepared:
    """The instance as arrays over its *eligible* clients (energy budget respected).

    Attributes
    ----------
    idx
        Positions in ``inst.clients`` of the eligible clients.
    download, update, upload, weight
        Their times (s) and weights.
    budget
        ``deadline - selection_time - aggregation_time`` (s).
    broadcast
        Whether the distribution is a broadcast lasting the slowest selected download.
    eps
        Absolute slack of every ``<=`` time comparison (1e-9 relative to the budget), far
        inside the verifier's tolerance.
    """

    idx: np.ndarray
    download: np.ndarray
    update: np.ndarray
    upload: np.ndarray
    weight: np.ndarray
    budget: float
    broadcast: bool
    eps: float

    @property
    def n(self) -> int:
        """Number of eligible clients."""
        return int(self.idx.size)

    def release(self) -> np.ndarray:
        """Upload-ready time after the end of distribution (broadcast) or of selection."""
        if self.broadcast:
            return self.update
        return self.download + self.update

    def thresholds(self) -> np.ndarray:
        """Distinct candidate distribution times ``T_d`` (ascending); ``[0]`` when parallel."""
        if not self.broadcast:
            return np.zeros(1)
        values = np.unique(self.download)
        return values[values <= self.budget + self.eps]


def prepare(inst: Instance) -> Prepared:
    """Arrays of the clients that respect their energy budget."""
    keep = [i for i, c in enumerate(inst.clients)
            if c.energy_budget is None or c.energy <= c.energy_budget]
    cl = [inst.clients[i] for i in keep]
    budget = float(inst.budget)
    return Prepared(
        idx=np.asarray(keep, dtype=np.int64),
        download=np.asarray([c.download_time for c in cl], dtype=float),
        update=np.asarray([c.update_time for c in cl], dtype=float),
        upload=np.asarray([c.upload_time for c in cl], dtype=float),
        weight=np.asarray([c.weight for c in cl], dtype=float),
        budget=budget,
        broadcast=inst.download == "broadcast",
        eps=1e-9 * max(1.0, abs(budget)),
    )


def to_solution(inst: Instance, prep: Prepared, chosen: list[int] | np.ndarray) -> Solution:
    """Solution from positions in the prepared arrays, in Jackson order (release, then index).

    For a fixed selected set, uploading in non-decreasing order of update-finish time
    minimises the end of the last upload (Jackson's rule for 1|r_j|C_max).
    """
    if not isinstance(chosen, np.ndarray):
        chosen = list(chosen)
    chosen = np.sort(np.asarray(chosen, dtype=np.int64))
    if chosen.size == 0:
        return Solution(())
    rel = prep.release()[chosen]
    order = chosen[np.lexsort((chosen, rel))]
    clients = inst.clients
    return Solution(tuple(clients[i].id for i in prep.idx[order].tolist()))


def has_coverage(inst: Instance) -> bool:
    """Whether the instance has a non-trivial class-coverage constraint."""
    return any(need > 0 for _, need in inst.min_coverage)


def meets_coverage(inst: Instance, prep: Prepared, chosen: list[int]) -> bool:
    """Whether the chosen clients meet ``min_coverage``."""
    for cls_name, need in inst.min_coverage:
        have = sum(1 for j in chosen if cls_name in inst.clients[int(prep.idx[j])].classes)
        if have < need:
            return False
    return True
