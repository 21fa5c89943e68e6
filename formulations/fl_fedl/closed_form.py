r"""Closed forms of the three FEDL subproblems (Tran et al., INFOCOM 2019, Sec. IV).

Notation: ``A_n = c_n·D_n`` cycles per local iteration, ``x = s/(tau·B)`` nats per second
per hertz (spectral efficiency), ``q_n = kappa·h_n/N0``.

**Exactness of the decomposition.** For fixed theta put ``K = a/(1-theta) > 0`` and
``L = v·ln(1/theta) > 0``. The cost is ``K·[(E_co + kappa·T_co) + L·(E_cp + kappa·T_cp)]``;
the first bracket depends only on (tau, T_co), the second only on (f, T_cp), and no
constraint couples the two groups or involves theta. Hence
``min_{f,tau} cost(theta) = K·(S2 + L·S1)`` where ``S1 = min E_cp + kappa·T_cp`` (SUB1) and
``S2 = min E_co + kappa·T_co`` (SUB2) do **not** depend on theta, and the joint optimum is
``min_theta K(theta)·(S2 + L(theta)·S1)`` (SUB3) with the SUB1/SUB2 minimisers — exact.

**SUB1 (CPU).** For fixed ``T = T_cp`` each device's energy increases in f, so the best f is
the smallest feasible one, ``f_n(T) = max(f_min_n, A_n/T)`` (needs ``T >= T_min =
max_n A_n/f_max_n``). ``g(T) = sum_n (alpha/2)·A_n·max(f_min_n, A_n/T)² + kappa·T`` is
convex (a sum of maxima of convex functions), with right derivative
``g'(T) = kappa - alpha·sum_{n: b_n > T} A_n³/T³`` where ``b_n = A_n/f_min_n``
(``inf`` when ``f_min_n = 0``). ``phi(T) = T³·g'(T) = kappa·T³ - alpha·S(T)`` is strictly
increasing (S(T) only drops), so ``T* = sup{T : phi(T) < 0}``. Sort the breakpoints
``b_(1) <= ... <= b_(N)``; on ``(b_(k), b_(k+1)]`` the active set is fixed and
``phi < 0 <=> T < c_k = cbrt(alpha·S_k/kappa)`` with ``S_k = sum_{j>k} A_(j)³``, so
``T* = max_{k: c_k > b_(k)} min(c_k, b_(k+1))`` and ``T_cp = max(T*, T_min)``. Three device
sets follow: ``f = f_max`` (``A_n/f_max_n = T_cp``, only when ``T_cp = T_min``),
``f = f_min`` (``b_n <= T_cp``), and interior ``f = A_n/T_cp`` — with the interior
frequencies satisfying ``alpha·sum f_n³ = kappa`` when no bound binds.

**SUB2 (TDMA).** ``T_co = sum tau_n`` at the optimum (kappa > 0), so SUB2 splits per device:
``min_tau  (N0/h)·tau·(exp(s/(tau·B)) - 1) + kappa·tau`` on ``[tau_min, tau_max]`` with
``tau_min = s/(B·ln(1 + h·p_max/N0))`` and ``tau_max = s/(B·ln(1 + h·p_min/N0))`` (inf when
``p_min = 0``) — the power limits, since p(tau) decreases. The function is convex (a
perspective of exp); its derivative is ``(N0/h)·(e^x·(1-x) - 1) + kappa``, zero where
``e^x·(x-1) + 1 = q``. Writing ``y = x - 1``: ``y·e^y = (q-1)/e >= -1/e``, so
``x* = 1 + W0((q - 1)/e)`` (principal branch: ``e^x(x-1)`` increases for x > 0 and is
-1 < q - 1 at x = 0), ``tau* = s/(B·x*)``, clipped to ``[tau_min, tau_max]``.

**SUB3 (theta).** ``h(theta) = a·(S2 + v·S1·ln(1/theta))/(1 - theta)``. With
``c = S2/(v·S1) > 0`` the sign of ``h'`` is that of ``N(theta) = c + 1 - ln(theta) - 1/theta``,
strictly increasing (``N' = (1-theta)/theta² > 0``), ``N(0+) = -inf``, ``N(1) = c > 0``:
a unique minimiser where ``u - ln(u) = 1 + c`` with ``u = 1/theta > 1``, i.e.
``u = -W_{-1}(-exp(-(1+c)))``. The optimal cost is then ``a·v·S1/theta*``.

All functions are vectorised with numpy; Lambert W comes from ``scipy.special.lambertw``
followed by Newton steps in a cancellation-free form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Arrays:
    """An instance as numpy arrays (SI units)."""

    A: np.ndarray        # cycles per local iteration c_n·D_n
    h: np.ndarray
    f_min: np.ndarray
    f_max: np.ndarray
    p_min: np.ndarray
    p_max: np.ndarray
    B: float
    N0: float
    s: float
    alpha: float
    kappa: float
    v: float
    a: float

    @property
    def n(self) -> int:
        """Number of devices."""
        return int(self.A.size)

    def tau_range(self) -> tuple[np.ndarray, np.ndarray]:
        """``(tau_min, tau_max)`` from the power limits (tau_max = inf where p_min = 0)."""
        tau_min = self.s / (self.B * np.log1p(self.h * self.p_max / self.N0))
        with np.errstate(divide="ignore"):
            tau_max = self.s / (self.B * np.log1p(self.h * self.p_min / self.N0))
        return tau_min, tau_max

    def power(self, tau: np.ndarray) -> np.ndarray:
        """Power that uploads s nats in tau seconds, W."""
        return self.N0 / self.h * np.expm1(self.s / (tau * self.B))


def arrays(inst: Any) -> Arrays:
    """Numpy view of an ``fl_fedl.Instance``."""
    d = inst.devices
    col = lambda name: np.array([getattr(x, name) for x in d], dtype=float)  # noqa: E731
    return Arrays(col("cycles_per_sample") * col("samples"), col("gain"), col("f_min"),
                  col("f_max"), col("p_min"), col("p_max"), inst.bandwidth, inst.noise_power,
                  inst.model_size, inst.capacitance, inst.kappa, inst.local_iter_const,
                  inst.global_round_const)


def empty_power_windows(X: Arrays) -> np.ndarray:
    """Indices of devices whose power window ``[p_min, p_max]`` (so tau window) is empty."""
    return np.flatnonzero(X.p_min > X.p_max)


# ---- SUB1 -------------------------------------------------------------------------------

def sub1_cpu(X: Arrays, kappa: float | None = None) -> tuple[np.ndarray, float]:
    """Optimal CPU frequencies and T_cp of ``min E_cp + kappa·T_cp`` (module docstring).

    Returns
    -------
    frequency, T_cp
    """
    kappa = X.kappa if kappa is None else kappa
    A = X.A
    with np.errstate(divide="ignore"):
        b = np.where(X.f_min > 0, A / np.where(X.f_min > 0, X.f_min, 1.0), np.inf)
    order = np.argsort(b, kind="stable")
    bs = b[order]
    a3 = (A[order] / A.max()) ** 3                      # scaled to avoid overflow
    suffix = np.concatenate([np.cumsum(a3[::-1])[::-1], [0.0]])   # S_k, k = 0..N
    c = np.cbrt(X.alpha * suffix / kappa) * A.max()
    lower = np.concatenate([[0.0], bs])
    upper = np.concatenate([bs, [np.inf]])
    ok = c > lower
    t_star = float(np.max(np.minimum(c, upper)[ok]))
    t_min = float(np.max(A / X.f_max))
    t_cp = max(t_star, t_min)
    f = np.clip(np.maximum(X.f_min, A / t_cp), X.f_min, X.f_max)
    return f, t_cp


def sub1_value(X: Arrays, f: np.ndarray, kappa: float | None = None) -> float:
    """``E_cp + kappa·T_cp`` at frequencies f."""
    kappa = X.kappa if kappa is None else kappa
    return float(np.sum(0.5 * X.alpha * X.A * f * f) + kappa * np.max(X.A / f))


# ---- SUB2 -------------------------------------------------------------------------------

def _excess(x: np.ndarray) -> np.ndarray:
    """``x·e^x - (e^x - 1) = sum_{k>=2} (k-1)·x^k/k!`` without cancellation for small x."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.05
    xs = np.where(small, x, 0.0)
    series = np.zeros_like(xs)
    term = xs.copy()                                    # x^k / k!, from k = 1
    for k in range(2, 10):
        term = term * xs / k
        series = series + (k - 1) * term
    with np.errstate(over="ignore", invalid="ignore"):
        direct = x * np.exp(x) - np.expm1(x)
    return np.where(small, series, direct)


def optimal_efficiency(q: np.ndarray) -> np.ndarray:
    """Root x > 0 of ``e^x·(x - 1) + 1 = q``: ``x = 1 + W0((q - 1)/e)``, Newton-polished."""
    from scipy.special import lambertw

    q = np.asarray(q, dtype=float)
    x = 1.0 + np.real(lambertw((q - 1.0) / math.e, 0))
    # near q = 0 the branch point makes W inaccurate; sqrt(2q) is the leading term there
    x = np.where(q < 1e-6, np.sqrt(2.0 * q), x)
    x = np.maximum(x, 1e-300)
    for _ in range(4):
        with np.errstate(over="ignore", invalid="ignore"):
            step = (_excess(x) - q) / (x * np.exp(x))
        x = np.where(np.isfinite(step), np.maximum(x - step, 0.5 * x), x)
    return x


def sub2_tdma(X: Arrays, kappa: float | None = None) -> np.ndarray:
    """Optimal TDMA slots tau_n of ``min E_co + kappa·T_co`` (module docstring), s."""
    kappa = X.kappa if kappa is None else kappa
    x = optimal_efficiency(kappa * X.h / X.N0)
    tau_min, tau_max = X.tau_range()
    return np.clip(X.s / (X.B * x), tau_min, tau_max)


def sub2_value(X: Arrays, tau: np.ndarray, kappa: float | None = None) -> float:
    """``E_co + kappa·T_co`` at slots tau."""
    kappa = X.kappa if kappa is None else kappa
    return float(np.sum(tau * X.power(tau)) + kappa * np.sum(tau))


# ---- SUB3 -------------------------------------------------------------------------------

def optimal_theta(s1: float, s2: float, v: float) -> float:
    """Minimiser of ``(s2 + v·s1·ln(1/theta))/(1 - theta)`` over (0, 1) (module docstring).

    Solves ``w - ln(1 + w) = c`` for ``w = 1/theta - 1 > 0`` with ``c = s2/(v·s1)``.
    """
    from scipy.special import lambertw

    c = s2 / (v * s1)
    if not c > 0 or not math.isfinite(c):
        raise ValueError(f"SUB3 needs 0 < S2/(v·S1) < inf, got {c!r}")
    if c < 1e-8:
        w = math.sqrt(2.0 * c)                          # w²/2 - w³/3 + ... = c
    elif c < 600:
        w = -float(np.real(lambertw(-math.exp(-(1.0 + c)), -1))) - 1.0
    else:
        w = c + math.log(1.0 + c)                       # asymptotic start
    for _ in range(6):
        # w - ln(1 + w), by its series where the direct form cancels
        g = sum((-1) ** k * w ** k / k for k in range(2, 14)) if w < 0.05 else w - math.log1p(w)
        step = (g - c) * (1.0 + w) / w
        w = max(w - step, 0.5 * w)
    return 1.0 / (1.0 + w)


def sub3_cost(X: Arrays, theta: float, s1: float, s2: float) -> float:
    """``K(theta)·(S2 + L(theta)·S1)``."""
    return X.a / (1.0 - theta) * (s2 + X.v * math.log(1.0 / theta) * s1)
