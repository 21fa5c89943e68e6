"""A CPU quota for stage processes through the cgroup cpu controller, where allowed.

To emulate a device ``s`` times slower than this machine, a stage process can be put in
its own cgroup whose CPU bandwidth is ``threads / s`` CPUs:

* **cgroup v2** (``<root>/cgroup.controllers`` lists ``cpu``): our own cgroup (the
  ``0::<path>`` line of ``/proc/self/cgroup``) must have ``cpu`` in its
  ``cgroup.subtree_control`` (delegated, e.g. ``systemd-run --user -p Delegate=yes``);
  a child ``<path>/edgeopt-<pid>-<k>`` gets ``cpu.max = "<quota> <period>"``.
* **cgroup v1** (a ``<root>/cpu`` hierarchy with ``cpu.cfs_quota_us``): a child of our
  ``cpu`` cgroup gets ``cpu.cfs_period_us`` and ``cpu.cfs_quota_us``.

The process is moved in by writing its pid to ``cgroup.procs``. Anything that fails
(no controller, not delegated, permission denied, a read-only file system) is reported as
a one-line reason and the caller falls back to CPU-time padding
(:mod:`~edgeopt_solve.costmodel.validate`).

Granularity: CFS enforces the quota per period, and a process that was idle starts each
period with a full quota, so a job of ``T`` CPU seconds takes about
``s·T - (s - 1)·quota`` rather than ``s·T``. The period is therefore the shortest the
kernel accepts (quota >= 1 ms): ``period = s / threads`` ms, and the remaining bias is
about one quota (1 ms) per stage run; a run shorter than the quota is not slowed at all.
:func:`quota_bias` estimates it, and ``auto`` emulation
(:func:`~edgeopt_solve.costmodel.validate.execute`) pads a stage whose bias would exceed
:data:`MAX_QUOTA_BIAS` instead of timing it under the quota.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
MIN_QUOTA_US = 1000
MAX_PERIOD_US = 1_000_000
#: in ``auto`` emulation a stage is timed under its quota only if the expected shortfall
#: from the quota granularity (:func:`quota_bias`) is at most this, else it is padded
MAX_QUOTA_BIAS = 0.10


@dataclass(frozen=True)
class CpuController:
    """Where per-stage cgroups can be created: cgroup ``version`` 1 or 2 and the parent."""

    version: int
    parent: Path


@dataclass(frozen=True)
class Detection:
    """Result of :func:`detect`: a controller (None when unavailable) and why."""

    controller: CpuController | None
    reason: str

    @property
    def available(self) -> bool:
        """Whether a CPU quota can be tried."""
        return self.controller is not None


def _own_path(self_cgroup: Path, v1_name: str | None) -> str | None:
    """Our cgroup path: the ``0::`` line (v2) or the line listing ``v1_name`` (v1)."""
    for line in self_cgroup.read_text().splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, ctrls, path = parts
        if (v1_name is None and parts[0] == "0" and ctrls == "") or \
                (v1_name is not None and v1_name in ctrls.split(",")):
            return path
    return None


def detect(root: str | Path = CGROUP_ROOT, self_cgroup: str | Path = SELF_CGROUP) -> Detection:
    """Whether this process may give its children a CPU quota (v2 first, then v1)."""
    root, self_cgroup = Path(root), Path(self_cgroup)
    reasons = []
    try:
        ctrl = (root / "cgroup.controllers").read_text().split()
    except OSError:
        reasons.append(f"no cgroup v2 hierarchy at {root}")
    else:
        try:
            path = _own_path(self_cgroup, None)
        except OSError as exc:
            path, reasons = None, [*reasons, f"cannot read {self_cgroup}: {exc}"]
        if "cpu" not in ctrl:
            reasons.append(f"cgroup v2: the cpu controller is not enabled ({root}/cgroup.controllers)")
        elif path is not None:
            parent = root / path.lstrip("/")
            try:
                sub = (parent / "cgroup.subtree_control").read_text().split()
            except OSError:
                sub = []
            if "cpu" not in sub:
                reasons.append(f"cgroup v2: cpu is not delegated to {parent} (cgroup.subtree_control)")
            elif not os.access(parent, os.W_OK):
                reasons.append(f"cgroup v2: {parent} is not writable")
            else:
                return Detection(CpuController(2, parent), f"cgroup v2 cpu.max under {parent}")
    v1 = next((root / n for n in ("cpu", "cpu,cpuacct") if (root / n / "cpu.cfs_quota_us").exists()),
              None)
    if v1 is None:
        reasons.append(f"no cgroup v1 cpu hierarchy at {root}/cpu")
        return Detection(None, "; ".join(reasons))
    try:
        path = _own_path(self_cgroup, "cpu")
    except OSError as exc:
        return Detection(None, "; ".join([*reasons, f"cannot read {self_cgroup}: {exc}"]))
    parent = v1 / (path or "/").lstrip("/")
    if not (parent / "cpu.cfs_quota_us").exists():
        return Detection(None, "; ".join([*reasons, f"cgroup v1: no cpu.cfs_quota_us in {parent}"]))
    if not os.access(parent, os.W_OK):
        return Detection(None, "; ".join([*reasons, f"cgroup v1: {parent} is not writable"]))
    return Detection(CpuController(1, parent), f"cgroup v1 cpu.cfs_quota_us under {parent}")


def quota_for(slowdown: float, threads: int = 1) -> tuple[int, int] | None:
    """``(quota_us, period_us)`` giving ``threads / slowdown`` CPUs with the shortest period
    the kernel accepts; None when no limit is needed (``slowdown <= 1``)."""
    if slowdown <= 1.0:
        return None
    fraction = threads / slowdown
    period = min(max(round(MIN_QUOTA_US / fraction), MIN_QUOTA_US), MAX_PERIOD_US)
    return max(round(fraction * period), MIN_QUOTA_US), period


def quota_bias(cpu: float, slowdown: float, threads: int = 1) -> float:
    """Expected relative shortfall of a run of ``cpu`` CPU seconds under the quota for
    ``slowdown`` (module docstring: it takes ``s·T - (s-1)·quota`` instead of ``s·T``);
    0 when no quota is needed, 1 when the run fits in one quota."""
    q = quota_for(slowdown, threads)
    if q is None:
        return 0.0
    if cpu <= 0:
        return 1.0
    return min((slowdown - 1) * q[0] * 1e-6 / (slowdown * cpu), 1.0)


class CpuQuota:
    """Per-process quota cgroups under one controller; :meth:`close` removes them.

    Parameters
    ----------
    controller
        From :func:`detect`.
    tag
        Prefix of the cgroup directories (default ``edgeopt-<our pid>``).
    """

    def __init__(self, controller: CpuController, tag: str | None = None) -> None:
        self.controller = controller
        self.tag = tag or f"edgeopt-{os.getpid()}"
        self.groups: dict[int, Path] = {}

    def apply(self, key: int, pid: int, slowdown: float, threads: int = 1) -> str:
        """Limit process ``pid`` (stage ``key``) to ``threads / slowdown`` CPUs.

        Returns a short description. Raises OSError if the cgroup cannot be set up.
        """
        cg = self.groups.get(key)
        if cg is None:
            cg = self.controller.parent / f"{self.tag}-{key}"
            cg.mkdir(exist_ok=True)
            self.groups[key] = cg
        q = quota_for(slowdown, threads)
        if self.controller.version == 2:
            (cg / "cpu.max").write_text("max 100000\n" if q is None else f"{q[0]} {q[1]}\n")
        else:
            (cg / "cpu.cfs_quota_us").write_text("-1\n")
            if q is not None:
                (cg / "cpu.cfs_period_us").write_text(f"{q[1]}\n")
                (cg / "cpu.cfs_quota_us").write_text(f"{q[0]}\n")
        (cg / "cgroup.procs").write_text(f"{pid}\n")
        return "unlimited" if q is None else f"{q[0]}/{q[1]} us"

    def procs_files(self, key: int) -> tuple[str, str]:
        """``(cgroup.procs of stage key's cgroup, of the parent)``: a stage process writes
        its pid to the first right before its session run and to the second right after,
        so only the computation is throttled (not its sending or receiving)."""
        return (str(self.groups[key] / "cgroup.procs"),
                str(self.controller.parent / "cgroup.procs"))

    def close(self) -> None:
        """Remove the cgroups (their processes must have exited or are moved back)."""
        for cg in self.groups.values():
            with contextlib.suppress(OSError):
                for pid in (cg / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        (self.controller.parent / "cgroup.procs").write_text(f"{pid}\n")
            try:
                cg.rmdir()
            except OSError as exc:  # a fake tree holds files; a live one may still be busy
                log.debug("could not remove %s: %s", cg, exc)
        self.groups = {}
