"""Deriving hovering points from devices (the first stage of Cao et al., as surveyed).

* :func:`kmeans_points` — k-means (Lloyd 1982; ``scipy.cluster.vq.kmeans2``, k-means++
  initialisation, seeded): ``k`` centroids; devices may end up out of range.
* :func:`cover_points` — fewest hovering points such that every device is within the
  communication range of one: a set cover over candidate points (every device position
  and the midpoint of every pair of devices closer than twice the range), solved exactly
  by a MILP on HiGHS (``min sum y_c`` s.t. ``sum_{c covers i} y_c >= 1``, ``y`` binary).
  Optimal among those candidates, not over the whole plane (the continuous version is
  the geometric disc cover problem).

Both return a new :class:`Instance` whose ``points`` are the chosen hovering points
(devices keep no explicit ``point``: each is served by its nearest point in range).
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.status import Status
from formulations.uav_path.model import Instance


def with_points(inst: Instance, points: np.ndarray) -> Instance:
    """``inst`` with hovering points ``points`` and device assignments cleared."""
    data = inst.to_dict()
    data["points"] = [[float(x), float(y)] for x, y in np.asarray(points)]
    for dev in data["devices"]:
        dev.pop("point", None)
    return Instance.from_dict(data)


def _positions(inst: Instance) -> np.ndarray:
    if not inst.devices:
        raise InvalidOptionError("clustering needs devices", field="devices")
    return np.array([d.position for d in inst.devices], dtype=float)


def kmeans_points(inst: Instance, k: int, *, seed: int = 0) -> Instance:
    """Hover at the ``k`` k-means centroids of the device positions."""
    from scipy.cluster.vq import kmeans2

    xy = _positions(inst)
    k = max(1, min(int(k), len(xy)))
    centroids, labels = kmeans2(xy, k, minit="++", seed=np.random.default_rng(seed))
    used = sorted(set(labels.tolist()))
    return with_points(inst, np.round(centroids[used], 3))


def cover_points(inst: Instance, *, time_limit: float | None = 30.0,
                 seed: int = 0) -> tuple[Instance, Status]:
    """Fewest hovering points (among candidates) covering every device; MILP on HiGHS.

    Returns the new instance and the MILP status (OPTIMAL, or FEASIBLE at the limit).
    """
    from edgeopt_solve.backends.highs import new_highs, run_highs

    if inst.comm_range is None:
        raise InvalidOptionError("cover clustering needs comm_range", field="comm_range")
    xy = _positions(inst)
    r = inst.comm_range
    cands = [xy]
    dd = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    iu, ju = np.nonzero(np.triu(dd <= 2 * r, k=1))
    if len(iu):
        cands.append((xy[iu] + xy[ju]) / 2)
    cand = np.unique(np.round(np.vstack(cands), 6), axis=0)
    cover = np.sqrt(((cand[:, None] - xy[None]) ** 2).sum(-1)) <= r * (1 + 1e-9)
    m, n_dev = cover.shape
    ctx = SolveContext(time_limit=time_limit, seed=seed)
    h = new_highs(ctx)
    h.addCols(m, np.ones(m), np.zeros(m), np.ones(m), 0, np.zeros(m, dtype=np.int32),
              np.zeros(0, dtype=np.int32), np.zeros(0))
    starts, idx = [], []
    for i in range(n_dev):
        starts.append(len(idx))
        idx.extend(np.flatnonzero(cover[:, i]).tolist())
    h.addRows(n_dev, np.ones(n_dev), np.full(n_dev, 1e30), len(idx),
              np.array(starts, dtype=np.int32), np.array(idx, dtype=np.int32),
              np.ones(len(idx)))
    h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.ones(m, dtype=np.uint8))
    run = run_highs(h, ctx)
    if not run.has_solution:
        raise InvalidOptionError(f"set cover found no solution: {run.native_status}")
    y = np.asarray(h.getSolution().col_value) > 0.5
    return with_points(inst, cand[y]), run.status

