"""Per-round solver, Newton version: Newton on the bandwidth price with exact sensitivities.

Same problem, same KKT closed forms and the same answer as :func:`roundopt.solve_round`
(see :mod:`roundopt` for the model), organised for speed:

* the bandwidth price ``ell = log(lam)`` solves ``F(ell) = log(sum_k b_k(ell)/B) = 0`` by a
  safeguarded Newton iteration (``F`` is decreasing; every evaluation tightens a bracket and
  a step leaving it is replaced by bisection). ``F'`` is exact: by implicit differentiation
  of each device's optimality equation ``h_k(u_k, ell) = 0`` in ``u_k = log x_k``,

  - power slack: ``h = log((tau - c)·X) - log(lam·g/N0)`` with ``X = xpsi(x)``,
    ``q = x·X'/X``, ``rho = c/(3(tau - c))`` (0 where computing at f_max), so
    ``h_u = q + rho(2q - 1)``, ``h_ell = -(1 + rho)``, ``du/dell = (1 + rho)/h_u`` and
    ``dlog b/dell = (q - 1)·du/dell - 1`` (in (-1, 0));
  - power binding: ``b = P/(2^x - 1)`` along the power-limit curve, ``du/dell = 1/r_u``
    (``r`` of :func:`roundopt._power_binding`), ``dlog b/dell = -(y·2^x/(2^x - 1))/r_u``
    with ``y = x ln 2``; 0 at the cap;

* each device's root is a safeguarded Newton iteration in ``u`` started at the first-order
  prediction ``u + du/dell·Δell`` from the previous price (two or three steps); across
  rounds (a new eta, so new ``I`` and ``tau``) the previous round's roots, active sets and
  sensitivities ``du/dtau = -1/((tau - c)·h_u)``, ``du/dlog I = c/((tau - c)·h_u)``
  (power slack; ``-r_tau/r_u``, ``-r_logI/r_u`` on the power curve) predict the new roots
  and price to first order (:func:`_predict`);
* the price iteration aims at ``log(sum b/B) = -4e-13`` and stops on the feasible side
  within ``1e-12`` (the quadratic step from ``1e-7`` lands there, saving the confirming
  evaluation);
* devices at p_max at the previous price are solved on the power curve directly (one
  whose power multiplier comes out negative goes back to the power-slack case), so the
  power-slack root is not computed for them;
* the bandwidths at p_max/f_max (``phi_inverse``, a Lambert-W evaluation) are computed only
  when a device hits its power limit or when the price search cannot get ``sum b`` below
  ``B`` (then the exact feasibility test of :func:`roundopt.round_feasible` decides).

The result passes through :func:`roundopt._finish` (energy, multipliers, KKT residuals);
when those residuals are not tiny, :func:`solve_round_newton` falls back to
:func:`roundopt.solve_round`, so the answer is always that of the reference solver.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from formulations.fl_energy.kernels import LN2, Arrays, phi, psi
from formulations.fl_energy.roundopt import (
    X_HI,
    X_LO,
    Round,
    _finish,
    min_bandwidths,
    solve_round,
)

U_LO = math.log(X_LO)
U_HI = math.log(X_HI)
KKT_ACCEPT = 1e-10
F_AIM = -4e-13  # target of log(sum b / B) for the price Newton iteration


def _xpsi(y: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``xpsi`` from ``y = x ln 2`` and ``e = 2^x`` (series where y is small)."""
    X = e * (y - 1.0) + 1.0
    small = y < 0.05
    if small.any():
        ys = y[small]
        X[small] = ys * ys * (0.5 + ys * (1 / 3 + ys * (1 / 8 + ys * (1 / 30 + ys * (
            1 / 144 + ys / 840)))))
    return X


class _Device:
    """Per-round constants of the devices (``I`` and ``tau`` fixed)."""

    def __init__(self, A: Arrays, I: float, tau: float, fixed_freq: bool,
                 x_cap_hint: np.ndarray | None = None) -> None:
        self.A, self.I, self.tau, self.fixed_freq = A, I, tau, fixed_freq
        cap = I * A.cd
        self.cmin = cap / A.f_max
        self.cd3 = 2.0 * A.kappa * cap ** 3
        self.G = A.gain / A.N0
        self.wk = self.cd3 * self.G / A.K  # c_free = cbrt(lam·wk·x/X²)
        self._x_cap: np.ndarray | None = None
        self._hint = x_cap_hint
        self._r_cap: np.ndarray | None = None

    def x_cap(self) -> np.ndarray:
        """Spectral efficiency at p_max and f_max, computed once on demand: Newton from the
        previous round's values when given and converging, else Lambert W."""
        if self._x_cap is None:
            if self._hint is not None:
                self._x_cap = self._x_cap_newton(self._hint)
            if self._x_cap is None:
                self._x_cap = min_bandwidths(self.A, self.I, self.tau)[1]
        return self._x_cap

    def _x_cap_newton(self, hint: np.ndarray, iters: int = 8) -> np.ndarray | None:
        """``phi(x) = P·(tau - I·C·D/f_max)/s`` by Newton on ``log phi`` (as the polish of
        :func:`kernels.phi_inverse`) from ``hint``; ``None`` unless every residual is
        below ``1e-14``."""
        A = self.A
        avail = self.tau - self.cmin
        target = np.where(avail > 0, A.P * np.maximum(avail, 0.0) / A.s, 0.0)
        ok = target > LN2 * (1 + 1e-15)
        yy = np.where(ok, target, 2.0)
        log_yy = np.log(yy)
        x = np.where(ok & (hint > 1e-9), hint, 1.0)
        for _ in range(iters):
            ph = phi(x)
            res = np.log(ph) - log_yy
            if float(np.max(np.abs(res))) <= 1e-14:
                return np.where(ok, x, 0.0)
            x = np.maximum(x - res * x * ph / psi(x), 0.5 * x)
        return None

    def feasible(self) -> bool:
        """Exact feasibility test of :func:`roundopt.round_feasible` (sum b_min < B)."""
        with np.errstate(divide="ignore", over="ignore"):
            bmin = np.where(self.x_cap() > 0, self.A.P / np.expm1(self.x_cap() * LN2),
                            np.inf)
        total = float(np.sum(bmin))
        return bool(np.isfinite(total) and total < self.A.B)

    def case_a(self, lam: float, u: np.ndarray, idx: np.ndarray | slice,
               iters: int = 60) -> tuple[np.ndarray, ...]:
        """Power-slack root of devices ``idx``: ``u = log x`` (safeguarded Newton) and the
        sensitivities ``du/dell``, ``du/dtau``, ``du/dlog I`` and ``q = x·X'/X``."""
        tau, cmin = self.tau, self.cmin[idx]
        lamG = lam * self.G[idx]
        loglamG = np.log(lamG)
        w = lam * self.wk[idx]
        lo = np.full(u.size, U_LO)
        hi = np.full(u.size, U_HI)
        u = np.clip(u, U_LO, U_HI)
        hu = rho = q = c = room = None
        for _ in range(iters):
            x = np.exp(u)
            y = x * LN2
            e = np.exp(y)
            X = _xpsi(y, e)
            q = y * y * e / X
            if self.fixed_freq:
                c = cmin
                inner = None
            else:
                cf = np.cbrt(w * x / (X * X))
                inner = cf > cmin
                c = np.maximum(cf, cmin)
            room = tau - c
            ok = room > 0
            every = bool(ok.all())
            h = np.log((room if every else np.where(ok, room, 1.0)) * X) - loglamG
            rho = 0.0 if inner is None else np.where(inner, c / (3.0 * room), 0.0)
            hu = q + rho * (2.0 * q - 1.0)
            step = np.clip(-h / hu, -2.0, 2.0)
            neg = h < 0
            if not every:
                step = np.where(ok, step, 1.0)  # computing alone overruns: larger x
                neg |= ~ok
            lo = np.where(neg, u, lo)
            hi = np.where(neg, hi, u)
            un = u + step
            bad = ~((un >= lo) & (un <= hi))  # outside the bracket, or not a number
            if bad.any():
                un = np.where(bad, 0.5 * (lo + hi), un)
                # bisection steps must shrink to 1e-14 themselves
                done = bool(np.all(np.abs(un - u) <= np.where(bad, 1e-14, 1e-8)
                                   * (1.0 + np.abs(u))))
            else:
                # a Newton step below 1e-8 (quadratic convergence, h''/h' = O(1) in u)
                # leaves an error below 1e-15
                done = float(np.max(np.abs(step))) <= 1e-8
            u = un
            if done:
                break
        du = (1.0 + rho) / hu
        du_tau = -1.0 / (room * hu)
        du_logI = c / (room * hu)
        return u, du, q, du_tau, du_logI

    def respond(self, lam: float, ua: np.ndarray, ub: np.ndarray,
                was_binding: np.ndarray) -> dict[str, Any]:
        """Every device's optimal (c, t, b, x, mu) at price ``lam`` and its sensitivities.

        ``ua``/``ub``: starting ``log x`` of the power-slack and power-binding roots;
        ``was_binding``: devices at p_max at the previous price (solved on the power curve
        directly; one whose power multiplier comes out negative goes back to the
        power-slack case). Every other device is solved power-slack first and moves to the
        power curve when that violates p_max — the rule of :func:`roundopt._respond`.
        """
        n = self.A.n
        out = {k: np.zeros(n) for k in ("x", "t", "b", "mu", "c", "dlogb", "du", "du_tau",
                                         "du_logI", "dlogb_du")}
        out["ua"] = ua.copy()
        out["ub"] = ub.copy()
        binding = was_binding.copy()
        todo = np.flatnonzero(~was_binding)
        for attempt in range(2):
            if todo.size:
                # all devices: a slice (views, no fancy-index copies)
                sel = slice(None) if todo.size == n else todo
                self._fill_case_a(lam, out, sel, binding)
            idx = np.flatnonzero(binding)
            if not idx.size:
                break
            back = self._fill_binding(lam, out, idx, was_binding)
            if attempt or not back.size:
                break
            binding[back] = False  # power multiplier < 0: the power-slack case applies
            todo = back
            was_binding = np.zeros(n, dtype=bool)
        out["binding"] = binding
        out["xa"] = np.exp(out["ua"])
        return out

    def _fill_case_a(self, lam: float, out: dict[str, Any], idx: np.ndarray | slice,
                     binding: np.ndarray) -> None:
        A = self.A
        u, du, q, du_tau, du_logI = self.case_a(lam, out["ua"][idx], idx)
        x = np.exp(u)
        y = x * LN2
        e = np.exp(y)
        X = _xpsi(y, e)
        lamG = lam * self.G[idx]
        K = A.K[idx]
        t = lamG / X
        b = K * X / (x * lam)
        out["ua"][idx] = u
        out["ub"][idx] = u
        out["x"][idx] = x
        out["t"][idx] = t
        out["b"][idx] = b
        out["mu"][idx] = K * X * X / (x * lamG)
        out["c"][idx] = self.tau - t
        out["du"][idx] = du
        out["dlogb"][idx] = (q - 1.0) * du - 1.0
        out["du_tau"][idx] = du_tau
        out["du_logI"][idx] = du_logI
        out["dlogb_du"][idx] = q - 1.0
        binding[idx] = b * (e - 1.0) > A.P[idx] * (1 + 1e-12)

    def _fill_binding(self, lam: float, out: dict[str, Any], idx: np.ndarray,
                      was_binding: np.ndarray) -> np.ndarray:
        """Solve devices ``idx`` on the power curve; returns those (among the previously
        binding ones) whose power multiplier is negative."""
        ob = self.binding(lam, idx, out["ub"][idx])
        for key in ("x", "t", "b", "mu", "c", "dlogb", "du", "du_tau", "du_logI",
                    "dlogb_du"):
            out[key][idx] = ob[key]
        out["ub"][idx] = ob["u"]
        wrong = was_binding[idx] & (ob["omega_raw"] < -1e-12 * lam)
        return idx[wrong]

    def binding(self, lam: float, idx: np.ndarray, u0: np.ndarray,
                iters: int = 60) -> dict[str, np.ndarray]:
        """Devices at p_max: root of ``r(u) = 0`` on the power-limit curve (Newton in log x).

        Same equation as :func:`roundopt._power_binding`: along ``t = (s/P)·phi(x)``,
        ``b = P/(2^x - 1)`` the derivative of ``kappa·A³/(tau - t)² + p_max·t + lam·b`` has
        the sign of ``r = log((2·kappa·A³/c³ + p_max)·t') - log(lam·P·ln 2) - y
        + 2·log(2^x - 1)``, increasing in ``u``; up to ``x_cap`` (computing at f_max).
        """
        A = self.A
        P, pm, K = A.P[idx], A.p_max[idx], A.K[idx]
        sP = A.s / P
        cd3, cmin = self.cd3[idx], self.cmin[idx]
        tau = self.tau
        x_cap = self.x_cap()[idx]
        lo = np.full(idx.size, U_LO)
        hi = np.log(np.maximum(x_cap, X_LO))
        loglp = math.log(lam) + np.log(P * LN2)

        def r_and_ru(u: np.ndarray) -> tuple[np.ndarray, ...]:
            x = np.exp(u)
            y = x * LN2
            e = np.exp(y)
            em = e - 1.0
            small = y < 1e-3
            if small.any():
                em[small] = np.expm1(y[small])
            X = _xpsi(y, e)
            t = sP * em / x
            dt = sP * X / (x * x)
            if self.fixed_freq:
                comp = 0.0
                xdc = 0.0
            else:
                room = tau - t
                c = np.maximum(room, cmin)
                comp = cd3 / (c * c * c)
                xdc = np.where(room > cmin, 3.0 * comp / c * dt * x, 0.0)
            r = np.log((comp + pm) * dt * em * em) - loglp - y
            ru = y * y * e / X - 2.0 + xdc / (comp + pm) + y * (em + 2.0) / em
            return r, ru, x, y, e, em, X, t

        # r at the cap is -log(lam) plus a per-round constant: cached for the round
        if self._r_cap is None:
            self._r_cap = np.full(A.n, np.nan)
        known = self._r_cap[idx]
        if np.isnan(known).any():
            known = r_and_ru(hi)[0] + math.log(lam)
            self._r_cap[idx] = known
        at_cap = known - math.log(lam) <= 0
        u = np.clip(u0, lo, hi)
        for _ in range(iters):
            r, ru = r_and_ru(u)[:2]
            neg = r < 0
            lo = np.where(neg, u, lo)
            hi = np.where(neg, hi, u)
            step = np.where(at_cap, 0.0, -np.clip(r / ru, -1.0, 1.0))
            un = u + step
            bad = ~((un >= lo) & (un <= hi)) & ~at_cap
            if bad.any():
                un = np.where(bad, 0.5 * (lo + hi), un)
                done = bool(np.all((np.abs(un - u) <= np.where(bad, 1e-14, 1e-8)
                                    * (1.0 + np.abs(u))) | at_cap))
            else:
                done = float(np.max(np.abs(step), initial=0.0)) <= 1e-8
            u = un
            if done:
                break
        u = np.where(at_cap, np.log(np.maximum(x_cap, X_LO)), u)
        r, ru, x, y, e, em, X, t = r_and_ru(u)
        x = np.where(at_cap, x_cap, x)
        b = P / em
        c = cmin if self.fixed_freq else np.maximum(tau - t, cmin)
        ps = X / x
        omega = np.maximum(lam - K * ps / b, 0.0) / X
        mu = (K * ps + omega * b * y * e) / t
        du = np.where(at_cap, 0.0, 1.0 / ru)
        dlogb_du = -(y * e / em)
        if self.fixed_freq:
            r_tau = r_logI = 0.0
        else:
            room = tau - t
            interior = room > cmin
            cc = np.maximum(room, cmin)
            comp = cd3 / (cc * cc * cc)
            r_tau = np.where(interior, -3.0 * comp / (cc * (comp + pm)), 0.0)
            r_logI = np.where(interior, 3.0 * comp / (comp + pm), 0.0)
        return {"x": x, "t": t, "b": b, "mu": mu, "c": c * np.ones_like(x),
                "dlogb": dlogb_du * du, "du": du, "u": u, "dlogb_du": dlogb_du,
                "du_tau": np.where(at_cap, 0.0, -r_tau / ru),
                "du_logI": np.where(at_cap, 0.0, -r_logI / ru),
                "omega_raw": lam - K * ps / b}


def _newton_round(A: Arrays, I: float, tau: float, fixed_freq: bool,
                  lam_hint: float | None, warm: tuple[np.ndarray, np.ndarray] | None,
                  sens: dict[str, Any] | None, iters: int = 80) -> Round | None:
    """Newton on the bandwidth price; ``None`` when it does not converge (caller falls back)."""
    dev = _Device(A, I, tau, fixed_freq, None if sens is None else sens.get("x_cap"))
    if np.any(dev.cmin >= tau):
        return Round(False)  # some device cannot even compute within the round
    # cold guess: half of the round uploading on an equal bandwidth share gives the
    # spectral efficiency x0 = 2·s·n/(tau·B), and sum b = B gives lam = psi(x0)·sum K/B
    x0 = min(max(2.0 * A.s * A.n / (tau * A.B), 1e-3), 60.0)
    ell = math.log(lam_hint) if lam_hint else math.log(
        float(psi(np.array([x0]))[0]) * float(np.sum(A.K)) / A.B)
    cold = lam_hint is None and sens is None
    if sens is not None and sens["ua"].shape == (A.n,):
        ua, ub, was, ell = _predict(sens, I, tau, ell)
    elif warm is not None and warm[0].shape == (A.n,):
        ua = np.log(np.clip(warm[0], X_LO, X_HI))
        ub = np.log(np.clip(warm[1], X_LO, X_HI))
        was = np.zeros(A.n, dtype=bool)
    else:
        ua = np.full(A.n, math.log(x0))
        ub = ua.copy()
        was = np.zeros(A.n, dtype=bool)
    lo, hi = -math.inf, math.inf
    ups = 0
    F_prev = math.inf
    r: dict[str, Any] | None = None
    for _ in range(iters):
        r = dev.respond(math.exp(ell), ua, ub, was)
        total = float(np.sum(r["b"]))
        F = math.log(total / A.B)
        slope = float(np.dot(r["b"], r["dlogb"])) / total
        if F > 0:
            lo = ell
        else:
            hi = ell
        if -1e-12 <= F <= 0.0:
            break  # sum b within 1e-12 below B: feasible, and tight to KKT precision
        if slope < 0 and math.isfinite(slope):
            # aim a little below B so that the next (quadratically accurate) step lands
            # on the feasible side and no further price evaluation is needed
            step = min(max(-(F - F_AIM) / slope, -3.0), 3.0)
        else:
            step = 1.0 if F > 0 else -1.0
        if abs(step) <= 1e-15 * (1 + abs(ell)):
            break
        new = ell + step
        if not lo < new < hi:
            new = 0.5 * (lo + hi) if math.isfinite(lo) and math.isfinite(hi) else (
                lo + 3.0 if math.isfinite(lo) else hi - 3.0)
        if F > 0 and not math.isfinite(hi) and 0.25 * F_prev < F:
            ups += 1  # sum b stalls above B (or a cold start above B): maybe infeasible
            if (ups % 4 == 2 or (cold and ups == 1)) and not dev.feasible():
                return Round(False)
        F_prev = F
        # first-order prediction of every device's root at the new price
        d = r["du"] * (new - ell)
        was = r["binding"]
        ua = np.where(was, r["ua"], r["ua"] + d)
        ub = np.where(was, r["ub"] + d, r["ub"])
        ell = new
    else:
        return None
    if r is None:
        return None
    lam = math.exp(ell)
    out = _finish(A, I, tau, lam, r, fixed_freq)
    out.warm = (r["xa"], r["x"])
    out.sens = {"ua": r["ua"], "ub": r["ub"], "binding": r["binding"], "du": r["du"],
                "du_tau": r["du_tau"], "du_logI": r["du_logI"], "dlogb_du": r["dlogb_du"],
                "b": r["b"], "slope": float(np.dot(r["b"], r["dlogb"])) / float(np.sum(r["b"])),
                "I": I, "tau": tau, "ell": ell, "x_cap": dev._x_cap}
    return out


def _predict(sens: dict[str, Any], I: float, tau: float,
             ell: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """First-order prediction of the roots and the price at a new ``(I, tau)``.

    From the sensitivities of the previous round (same active sets): ``Δu = du/dtau·Δtau
    + du/dlog I·Δlog I`` at the old price, the price step that restores ``sum b = B`` to
    first order, and its effect ``du/dell·Δell``.
    """
    d_theta = sens["du_tau"] * (tau - sens["tau"]) + sens["du_logI"] * math.log(I / sens["I"])
    b = sens["b"]
    dF = float(np.dot(b, sens["dlogb_du"] * d_theta)) / float(np.sum(b))
    slope = sens["slope"]
    d_ell = min(max(-dF / slope, -1.0), 1.0) if slope < 0 and math.isfinite(dF) else 0.0
    d = d_theta + sens["du"] * d_ell
    if not np.all(np.isfinite(d)):
        d = np.zeros_like(d)
        d_ell = 0.0
    was = sens["binding"]
    ua = np.where(was, sens["ua"], sens["ua"] + d)
    ub = np.where(was, sens["ub"] + d, sens["ub"])
    return ua, ub, was.copy(), sens["ell"] + d_ell


def solve_round_newton(A: Arrays, I: float, tau: float, *, fixed_freq: bool = False,
                       lam_hint: float | None = None,
                       x_hint: tuple[np.ndarray, np.ndarray] | None = None,
                       sens: dict[str, Any] | None = None) -> Round:
    """Exact optimal allocation of one round; Newton fast path, reference fallback.

    ``lam_hint``/``x_hint``: previous price and roots; ``sens``: the previous round's
    ``Round.sens`` (roots, active sets and sensitivities) for a first-order prediction.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _newton_round(A, I, tau, fixed_freq, lam_hint, x_hint, sens)
    if out is not None and (not out.feasible or _accept(out)):
        return out
    return solve_round(A, I, tau, fixed_freq=fixed_freq, lam_hint=lam_hint, x_hint=x_hint)


def _accept(r: Round) -> bool:
    """KKT residuals tiny and every multiplier finite (else the reference solver decides)."""
    return (all(math.isfinite(v) and v <= KKT_ACCEPT for v in r.kkt.values())
            and math.isfinite(r.energy) and math.isfinite(r.beta) and math.isfinite(r.dG_dI)
            and bool(np.all(np.isfinite(r.mu))))
