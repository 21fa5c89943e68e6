"""Vectorised special functions and root finders shared by the methods.

Notation (spectral efficiency ``x = s/(t·b)`` in bit/s/Hz, ``y = x·ln 2``):

* ``phi(x) = (2^x - 1)/x`` — transmission energy of one upload is ``K·phi(x)`` with
  ``K = N0·s/g`` (J), because ``p·t = (N0·b/g)(2^x - 1)·t = (N0·s/g)·phi(x)``;
* ``psi(x) = x·phi'(x) = ln2·2^x - phi(x)``, and ``xpsi(x) = x·psi(x) = 2^x(x·ln2 - 1) + 1``
  with ``xpsi'(x) = (ln 2)²·x·2^x`` (both increasing, positive for x > 0).

Not shared with the independent evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LN2 = float(np.log(2.0))
_SMALL = 1e-3


def phi(x: np.ndarray) -> np.ndarray:
    """``(2^x - 1)/x`` with its limit ``ln 2`` at 0."""
    x = np.asarray(x, dtype=float)
    y = x * LN2
    with np.errstate(divide="ignore", invalid="ignore"):
        big = np.expm1(y) / np.where(x > 0, x, 1.0)
    small = LN2 * (1 + y / 2 + y * y / 6 + y ** 3 / 24)
    return np.where(y < _SMALL, small, big)


def xpsi(x: np.ndarray) -> np.ndarray:
    """``2^x(x·ln2 - 1) + 1`` (= ``x·psi(x)``), accurate for small x."""
    x = np.asarray(x, dtype=float)
    y = x * LN2
    big = np.exp(y) * (y - 1) + 1
    small = y * y * (0.5 + y * (1 / 3 + y * (1 / 8 + y * (1 / 30 + y * (1 / 144 + y / 840)))))
    return np.where(y < 0.05, small, big)


def psi(x: np.ndarray) -> np.ndarray:
    """``x·phi'(x) = ln2·2^x - phi(x)``."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, xpsi(x) / np.where(x > 0, x, 1.0), 0.0)


def phi_inverse(target: np.ndarray) -> np.ndarray:
    """Solve ``phi(x) = target`` (target > ln 2; returns 0 where target <= ln 2).

    Closed form: ``2^x = 1 + x·y`` gives ``x = (w - 1)/y`` with
    ``w = -y·W_{-1}(-(ln2/y)·exp(-ln2/y))/ln2`` (Lambert W, lower branch), then two Newton
    steps on ``log phi(x) = log y`` polish it near the branch point.
    """
    from scipy.special import lambertw

    y = np.asarray(target, dtype=float)
    ok = y > LN2 * (1 + 1e-15)
    yy = np.where(ok, y, 2.0)
    r = LN2 / yy
    z = -r * np.exp(-r)
    w = -np.real(lambertw(z, k=-1)) / r
    x = np.maximum((w - 1) / yy, 1e-12)
    for _ in range(3):
        ph = phi(x)
        dlog = psi(x) / (x * ph)  # d log(phi)/dx = phi'/phi = psi/(x phi)
        x = np.maximum(x - (np.log(ph) - np.log(yy)) / dlog, 0.5 * x)
    return np.where(ok, x, 0.0)


def solve_increasing(fun: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray,
                     *, iters: int = 200, tol: float = 1e-14,
                     log_space: bool = True) -> np.ndarray:
    """Vectorised root of increasing ``fun`` on ``[lo, hi]`` (Illinois + forced bisection).

    Where ``fun(lo) >= 0`` the result is ``lo``; where ``fun(hi) <= 0`` it is ``hi``.
    With ``log_space`` the search runs on ``log(x)`` (``lo > 0`` required).
    """
    lo = np.asarray(lo, dtype=float).copy()
    hi = np.asarray(hi, dtype=float).copy()
    if log_space:
        a, b = np.log(lo), np.log(hi)

        def g(u: np.ndarray) -> np.ndarray:
            return fun(np.exp(u))
    else:
        a, b = lo, hi
        g = fun
    fa, fb = g(a), g(b)
    done_lo = fa >= 0
    done_hi = fb <= 0
    side = np.zeros_like(a)
    u = 0.5 * (a + b)
    for it in range(iters):
        width = b - a
        if np.all((width <= tol * (1 + np.abs(a))) | done_lo | done_hi):
            break
        if it % 4 == 3:
            u = 0.5 * (a + b)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                u = (a * fb - b * fa) / (fb - fa)
            bad = ~np.isfinite(u) | (u <= a) | (u >= b)
            u = np.where(bad, 0.5 * (a + b), u)
        fu = g(u)
        neg = fu < 0
        zero = fu == 0
        a = np.where(neg, u, a)
        fa = np.where(neg, fu, fa)
        b = np.where(~neg, u, b)
        fb = np.where(~neg, fu, fb)
        # Illinois: halve the stale end's value when the same end moves twice
        fa = np.where(~neg & (side == -1), fa / 2, fa)
        fb = np.where(neg & (side == 1), fb / 2, fb)
        side = np.where(neg, 1, -1)
        a = np.where(zero, u, a)
        b = np.where(zero, u, b)
    root = np.where(np.abs(fa) < np.abs(fb), a, b)
    root = np.where(done_lo, np.log(lo) if log_space else lo, root)
    root = np.where(done_hi, np.log(hi) if log_space else hi, root)
    return np.exp(root) if log_space else root


@dataclass(frozen=True)
class Arrays:
    """The instance as numpy arrays (SI units).

    Attributes
    ----------
    cd
        ``C_k·D_k``, cycles per local iteration.
    gain, p_max, f_max
        Per device.
    K
        ``N0·s/g``: energy scale of one upload, J.
    P
        ``p_max·g/N0``: bandwidth at which the max-power SNR is 1, Hz.
    """

    cd: np.ndarray
    gain: np.ndarray
    p_max: np.ndarray
    f_max: np.ndarray
    K: np.ndarray
    P: np.ndarray
    B: float
    N0: float
    T: float
    s: float
    kappa: float
    v: float
    a: float
    eta: float | None

    @property
    def n(self) -> int:
        """Number of devices."""
        return int(self.cd.size)

    def rounds(self, eta: float) -> float:
        """Global rounds ``a/(1-eta)``."""
        return self.a / (1.0 - eta)

    def local(self, eta: float) -> float:
        """Local iterations ``v·log2(1/eta)``."""
        return self.v * math.log2(1.0 / eta)

    def tau(self, eta: float) -> float:
        """Time per round ``T/rounds``, s."""
        return self.T / self.rounds(eta)


def arrays(inst: object) -> Arrays:
    """Numpy view of a ``fl_energy.Instance``."""
    devs = inst.devices  # type: ignore[attr-defined]
    cd = np.array([d.cycles_per_sample * d.samples for d in devs])
    gain = np.array([d.gain for d in devs])
    p_max = np.array([d.p_max for d in devs])
    f_max = np.array([d.f_max for d in devs])
    N0, s = inst.noise_psd, inst.model_bits  # type: ignore[attr-defined]
    return Arrays(cd, gain, p_max, f_max, N0 * s / gain, p_max * gain / N0,
                  inst.bandwidth, N0, inst.deadline, s, inst.kappa,  # type: ignore[attr-defined]
                  inst.local_iter_const, inst.global_round_const, inst.eta)  # type: ignore[attr-defined]
