"""NOMA uplink with successive interference cancellation (SIC): minimum-power points.

All devices transmit together for L seconds at rates ``r_k = s_k/L``; write
``rho_k = r_k/W`` (bit/s/Hz) and ``q_k = h_k·p_k/(N0·W)`` (received SNR). The rates are
decodable iff they lie in the multiple-access capacity region (Cover & Thomas, Ch. 15.3)::

    for every subset S:  sum_{k in S} rho_k <= log2(1 + sum_{k in S} q_k)
    i.e.                 q(S) >= g(S) := 2^{rho(S)} - 1            (g supermodular)

**Decoding order (no power limit).** Minimising ``sum_k q_k/h_k`` (total power) over this
contrapolymatroid is solved by Edmonds' greedy algorithm: the device with the largest
weight ``1/h_k`` — the weakest channel — receives the least, ``g({k})``, i.e. it is decoded
*last* (no interference left); then the next weakest, and so on. Equivalently, the server
decodes in *descending* order of channel gain (strongest first) and the powers are::

    q_k = 2^(sum of rho_j over the devices decoded after k) · (2^rho_k - 1)

(Tse & Hanly, "Multiaccess fading channels — Part I: polymatroid structure", IEEE Trans.
Inf. Theory 44(7), 1998). The adjacent-swap check: exchanging devices a (decoded first)
and b changes the power by ``2^R·(2^rho_a - 1)(2^rho_b - 1)·(1/h_a - 1/h_b)``, negative iff
``h_a > h_b``. The order does not depend on the rates. :func:`ordered_snr` computes it.

**With power limits** ``q_k <= u_k`` the ordered point can exceed a limit although the
rates are feasible. The feasible set is then the intersection of the contrapolymatroid
with a box — a generalised polymatroid (Frank & Tardos 1988) whose lower function is::

    g'(S) = max(0, max_{A disjoint from S} [g(S ∪ A) - u(A)])

and the greedy algorithm (weakest first, ``q = g'(U_i) - g'(U_{i-1})``) stays optimal
(:func:`box_greedy_snr`). The inner maximum is convex-of-modular minus modular; writing
``2^x`` as the supremum of its tangents shows it is attained on a prefix of the devices
outside S sorted by ``u_k/rho_k`` ascending, so each ``g'(U_i)`` costs O(K). Both
functions are checked against the all-subsets linear program in the tests.

Feasibility: the rates fit under the power limits iff ``rho(P) <= log2(1 + u(P))`` for
every prefix P of the devices sorted by ``rho_k/u_k`` descending (the same tangent
argument over all subsets, the empty one included: if any set is violated, so is a
prefix). The order does not depend on L, which gives the shortest window ``L_min`` in
closed form (:func:`min_window`).
"""

from __future__ import annotations

import numpy as np

from formulations.fl_uplink.kernels import Arrays

_CHUNK = 256


def decoding_order(h: np.ndarray) -> np.ndarray:
    """Device indices in SIC decoding order: strongest channel first (stable on ties)."""
    return np.argsort(-h, kind="stable")


def ordered_snr(rho: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Minimum-total-power SNRs for spectral efficiencies ``rho`` (no power limit)."""
    weakest_first = np.argsort(h, kind="stable")
    r = rho[weakest_first]
    after = np.concatenate(([0.0], np.cumsum(r)[:-1]))  # decoded after (weaker devices)
    q = np.empty_like(rho)
    q[weakest_first] = np.exp2(after) * np.expm1(r * np.log(2.0))
    return q


def box_greedy_snr(rho: np.ndarray, h: np.ndarray, u: np.ndarray,
                   *, rel_tol: float = 1e-9) -> np.ndarray | None:
    """Minimum-total-power SNRs under the caps ``q <= u``; ``None`` if infeasible."""
    n = len(rho)
    sigma = np.argsort(h, kind="stable")              # weakest first (largest weight)
    pos = np.empty(n, dtype=np.int64)
    pos[sigma] = np.arange(n)
    with np.errstate(divide="ignore"):
        by_ratio = np.argsort(u / rho, kind="stable")  # candidates for A, ascending u/rho
    r_ratio, u_ratio, pos_ratio = rho[by_ratio], u[by_ratio], pos[by_ratio]
    prefix_rho = np.concatenate(([0.0], np.cumsum(rho[sigma])))  # rho(U_i), i = 0..n
    lower = np.empty(n + 1)
    for start in range(0, n + 1, _CHUNK):
        rows = np.arange(start, min(n + 1, start + _CHUNK))
        outside = pos_ratio[None, :] >= rows[:, None]          # device not in U_i
        cum_r = np.cumsum(np.where(outside, r_ratio[None, :], 0.0), axis=1)
        cum_u = np.cumsum(np.where(outside, u_ratio[None, :], 0.0), axis=1)
        expo = np.minimum(prefix_rho[rows][:, None] + cum_r, 1000.0)
        vals = np.exp2(expo) - 1.0 - cum_u
        base = np.exp2(np.minimum(prefix_rho[rows], 1000.0)) - 1.0
        lower[rows] = np.maximum(np.maximum(vals.max(axis=1), base), 0.0)
    scale = 1.0 + float(np.sum(u))
    if lower[0] > rel_tol * scale:
        return None
    lower[0] = 0.0
    q = np.empty(n)
    q[sigma] = np.diff(lower)
    return np.clip(q, 0.0, u)


def min_snr(rho: np.ndarray, h: np.ndarray, u: np.ndarray) -> np.ndarray | None:
    """Minimum-total-power SNRs with caps: the ordered point if it respects them."""
    q = ordered_snr(rho, h)
    if np.all(q <= u):
        return q
    return box_greedy_snr(rho, h, u)


def min_window(A: Arrays) -> float:
    """Shortest NOMA window L at which all devices can upload at full power or less, s."""
    u = A.u
    order = np.argsort(-(A.s / u), kind="stable")
    bits = np.cumsum(A.s[order])
    cap = A.W * np.log2(1.0 + np.cumsum(u[order]))
    return float(np.max(bits / cap))
