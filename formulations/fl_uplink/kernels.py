"""Numerical kernels shared by the methods (never by the evaluator).

* :class:`Arrays` — the instance as numpy arrays, plus the derived constants
  ``a_k = N0·W/h_k`` (W per unit SNR), ``b_k = s_k/W`` and the SNR caps
  ``u_k = h_k·p_max_k/(N0·W)``;
* the computation phase: energy ``kappa·sum_k C_k³/T_c²`` when every device runs at the
  slowest frequency that finishes by T_c (``f_k = C_k/T_c``), and its minimiser for a time
  price ``mu`` (``T_c = (2·kappa·sum C³/mu)^(1/3)``, at least ``max_k C_k/f_max_k``);
* the TDMA slot energy ``phi_k(tau) = tau·a_k·(2^(b_k/tau) - 1)`` (the perspective of an
  exponential: convex and decreasing) and its minimiser for a time price ``mu``:
  ``phi_k'(tau) = -mu`` gives, with ``y = b_k·ln2/tau``, ``e^y·(y - 1) = mu/a_k - 1``,
  i.e. ``y = 1 + W0((mu/a_k - 1)/e)`` (Lambert W, principal branch), clipped to the
  power limit ``tau >= tau_min_k = b_k/log2(1 + u_k)``;
* :func:`convex_min` — golden-section search of a convex function of one variable with a
  certified lower bound from chord extensions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Arrays:
    """The instance in arrays (SI units) with derived constants."""

    access: str
    W: float
    N0: float
    T: float
    kappa: float
    C: np.ndarray
    s: np.ndarray
    h: np.ndarray
    pmax: np.ndarray
    fmax: np.ndarray

    @property
    def n(self) -> int:
        """Number of devices."""
        return len(self.C)

    @property
    def a(self) -> np.ndarray:
        """Transmit power per unit SNR, ``N0·W/h_k`` (W)."""
        return self.N0 * self.W / self.h

    @property
    def b(self) -> np.ndarray:
        """``s_k/W`` (s): slot length per bit/s/Hz of spectral efficiency."""
        return self.s / self.W

    @property
    def u(self) -> np.ndarray:
        """SNR at full power, ``h_k·p_max_k/(N0·W)``."""
        return self.h * self.pmax / (self.N0 * self.W)

    @property
    def sum_c3(self) -> float:
        """``sum_k C_k³`` (cycles³)."""
        return float(np.sum(self.C ** 3))

    @property
    def tc_min(self) -> float:
        """Shortest computation phase, ``max_k C_k/f_max_k`` (s)."""
        return float(np.max(self.C / self.fmax))

    @property
    def tau_min(self) -> np.ndarray:
        """Shortest TDMA slot at full power, ``b_k/log2(1 + u_k)`` (s)."""
        return self.b / np.log2(1.0 + self.u)


def arrays(inst: Any) -> Arrays:
    """:class:`Arrays` of an ``fl_uplink.Instance``."""
    d = inst.devices
    return Arrays(
        access=inst.access, W=inst.bandwidth, N0=inst.noise_psd, T=inst.deadline,
        kappa=inst.kappa,
        C=np.array([x.cycles_per_sample * x.samples * x.local_epochs for x in d], dtype=float),
        s=np.array([x.model_bits for x in d], dtype=float),
        h=np.array([x.gain for x in d], dtype=float),
        pmax=np.array([x.p_max for x in d], dtype=float),
        fmax=np.array([x.f_max for x in d], dtype=float),
    )


# ---- computation phase -------------------------------------------------------------------

def compute_energy(A: Arrays, tc: float) -> float:
    """Computation energy when every device just finishes by ``tc``, J."""
    return A.kappa * A.sum_c3 / (tc * tc)


def compute_time_for_price(A: Arrays, mu: float) -> float:
    """Minimiser of ``compute_energy(tc) + mu·tc`` over ``tc >= tc_min``."""
    return max(A.tc_min, (2.0 * A.kappa * A.sum_c3 / mu) ** (1.0 / 3.0))


# ---- TDMA slots ---------------------------------------------------------------------------

def slot_energy(A: Arrays, tau: np.ndarray) -> np.ndarray:
    """``phi_k(tau_k) = tau_k·a_k·(2^(b_k/tau_k) - 1)`` (J), vectorised."""
    return tau * A.a * np.expm1(A.b * LN2 / tau)


def slot_power(A: Arrays, tau: np.ndarray) -> np.ndarray:
    """Power that carries ``s_k`` bits in ``tau_k`` seconds, W."""
    return A.a * np.expm1(A.b * LN2 / tau)


def _solve_y(m: np.ndarray) -> np.ndarray:
    """Root ``y > 0`` of ``e^y·(y - 1) + 1 = m`` (m > 0), Lambert W start + Newton.

    For ``m < 1e-10`` the series ``y = s - s²/3 + 11·s³/72`` with ``s = sqrt(2m)`` is
    accurate to ~1e-15 (Newton would suffer from cancellation in ``y·e^y - expm1(y)``).
    """
    from scipy.special import lambertw

    m = np.minimum(m, 1e250)  # y ~ ln m <= 577: keeps e^y finite in the Newton steps
    with np.errstate(over="ignore", invalid="ignore"):
        y = 1.0 + np.real(lambertw((m - 1.0) / math.e))
    small = m < 1e-6
    r = np.sqrt(2.0 * np.minimum(m, 1.0))
    series = r - r * r / 3.0 + 11.0 * r ** 3 / 72.0
    y = np.where(small | ~np.isfinite(y) | (y <= 0), series, y)
    tiny = m < 1e-10
    for _ in range(3):
        ey = np.exp(y)
        resid = y * ey - np.expm1(y) - m
        y = np.where(tiny, y, np.maximum(y - resid / (y * ey), 0.5 * y))
    return y


def slots_for_price(A: Arrays, mu: float) -> np.ndarray:
    """Minimisers of ``phi_k(tau) + mu·tau`` over ``tau >= tau_min_k``."""
    y = _solve_y(mu / A.a)
    return np.maximum(A.b * LN2 / y, A.tau_min)


# ---- one-dimensional convex minimisation ------------------------------------------------

INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass
class Convex1D:
    """Result of :func:`convex_min`."""

    x: float
    value: float
    lower: float
    evaluations: int
    stopped: bool


def convex_min(F: Callable[[float], float], lo: float, hi: float, *,
               stop: Callable[[], bool] = lambda: False, rel_tol: float = 1e-11,
               max_iter: int = 300) -> Convex1D:
    """Minimise a convex ``F`` on ``[lo, hi]`` by golden sections; certify a lower bound.

    The bound uses convexity only: on each interval between sampled points, ``F`` lies
    above the extensions of the chords of the neighbouring intervals.
    """
    pts: dict[float, float] = {lo: F(lo)}
    if hi <= lo:
        return Convex1D(lo, pts[lo], pts[lo], 1, False)
    pts[hi] = F(hi)
    a, b = lo, hi
    x1 = b - INV_PHI * (b - a)
    x2 = a + INV_PHI * (b - a)
    f1, f2 = F(x1), F(x2)
    pts[x1], pts[x2] = f1, f2
    stopped = False
    for _ in range(max_iter):
        best = min(pts.values())
        lower = _chord_bound(pts)
        if best - lower <= rel_tol * abs(best) or b - a <= 1e-15 * max(abs(hi), 1.0):
            break
        if stop():
            stopped = True
            break
        if f1 <= f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - INV_PHI * (b - a)
            f1 = F(x1)
            pts[x1] = f1
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + INV_PHI * (b - a)
            f2 = F(x2)
            pts[x2] = f2
    x = min(pts, key=pts.__getitem__)
    return Convex1D(x, pts[x], min(_chord_bound(pts), pts[x]), len(pts), stopped)


def _chord_bound(pts: dict[float, float]) -> float:
    """Lower bound of a convex function on [min x, max x] from samples ``pts``."""
    xs = sorted(pts)
    fs = [pts[x] for x in xs]
    m = len(xs)
    if m < 3:
        return min(fs)
    slopes = [(fs[i + 1] - fs[i]) / (xs[i + 1] - xs[i]) for i in range(m - 1)]
    bound = math.inf
    for i in range(m - 1):
        x0, x1 = xs[i], xs[i + 1]
        lines = []
        if i >= 1:  # left chord extended to the right
            lines.append((slopes[i - 1], fs[i] - slopes[i - 1] * x0))
        if i + 2 <= m - 1:  # right chord extended to the left
            lines.append((slopes[i + 1], fs[i + 1] - slopes[i + 1] * x1))
        cands = [x0, x1]
        if len(lines) == 2 and lines[0][0] != lines[1][0]:
            xi = (lines[1][1] - lines[0][1]) / (lines[0][0] - lines[1][0])
            if x0 < xi < x1:
                cands.append(xi)
        low = min(max(s * x + c for s, c in lines) for x in cands)
        bound = min(bound, low)
    return bound
