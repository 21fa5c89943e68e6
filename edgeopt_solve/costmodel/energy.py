"""Package energy from Intel RAPL through the Linux powercap interface.

Each CPU package ``p`` is a directory ``<root>/intel-rapl:<p>`` (``root`` defaults to
``/sys/class/powercap``) with ``energy_uj`` (a monotonically increasing counter in µJ
that wraps to 0 after ``max_energy_range_uj``) and ``name`` (``package-<p>``).
Sub-domains (``intel-rapl:<p>:<d>``: core, uncore, dram) are parts of a package and are not
added again. The energy of an interval is the sum over packages of the counter
difference, a wrapped counter contributing ``max_energy_range_uj - start + end``.

Since Linux 5.10 ``energy_uj`` is readable by root only (CVE-2020-8694); where it is
missing or unreadable :class:`RaplMeter` says why (``reason``), and the profile records
``energy.source = "model"``: energy is then modelled as power x time
(:class:`~edgeopt_solve.costmodel.measured.PowerModel`), never measured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path("/sys/class/powercap")


@dataclass(frozen=True)
class RaplDomain:
    """One package's counter file and its wrap-around range (µJ)."""

    path: Path
    max_range_uj: int | None


class RaplMeter:
    """Reads RAPL package energy under ``root``; ``available`` and ``reason`` say whether
    it can (``reason`` is the one-line explanation either way).

    Parameters
    ----------
    root
        The powercap directory (a fake tree in tests).
    """

    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)
        self.domains: tuple[RaplDomain, ...] = ()
        self.available = False
        self.reason = ""
        self._probe()

    def _probe(self) -> None:
        try:
            dirs = sorted(d for d in self.root.glob("intel-rapl:*")
                          if d.name.count(":") == 1 and d.is_dir())
        except OSError as exc:
            self.reason = f"RAPL not readable: {exc}"
            return
        if not dirs:
            self.reason = f"no RAPL package domains under {self.root} (intel-rapl:*)"
            return
        domains = []
        for d in dirs:
            try:
                int((d / "energy_uj").read_text())
            except PermissionError:
                self.reason = (f"permission denied reading {d / 'energy_uj'} (root only since "
                               "Linux 5.10)")
                return
            except (OSError, ValueError) as exc:
                self.reason = f"cannot read {d / 'energy_uj'}: {exc}"
                return
            try:
                rng: int | None = int((d / "max_energy_range_uj").read_text())
            except (OSError, ValueError):
                rng = None
            domains.append(RaplDomain(d / "energy_uj", rng))
        self.domains = tuple(domains)
        self.available = True
        self.reason = (f"RAPL package energy, {len(domains)} package(s) under {self.root}")

    def read(self) -> tuple[int, ...] | None:
        """Raw counters (µJ) of every package, or None if one cannot be read."""
        if not self.available:
            return None
        try:
            return tuple(int(d.path.read_text()) for d in self.domains)
        except (OSError, ValueError) as exc:
            log.warning("RAPL read failed: %s", exc)
            return None

    def joules(self, start: tuple[int, ...] | None, end: tuple[int, ...] | None
               ) -> float | None:
        """Energy (J) between two :meth:`read` results, wrap-around included."""
        if start is None or end is None or len(start) != len(end):
            return None
        total = 0
        for dom, a, b in zip(self.domains, start, end, strict=True):
            if b >= a:
                total += b - a
            elif dom.max_range_uj is not None and dom.max_range_uj >= a:
                total += dom.max_range_uj - a + b
            else:  # wrapped without a known range: this interval is lost
                return None
        return total * 1e-6
