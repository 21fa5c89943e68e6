"""The nested per-edge solver: three monotone 1-D roots (T, then mu, then each device).

Robust reference path of :func:`edge_alloc.solve_edge` (see its docstring for the
mathematics): used when the joint Newton of :mod:`edge_joint` does not settle, in
particular when the optimum lies on the feasibility edge T = T_min.
"""

from __future__ import annotations

import math

import numpy as np

from formulations.fl_hierarchical.edge_kernels import (
    EdgeAllocation,
    EdgeProblem,
    _devices,
    _Point,
    _scalar_root,
    _terms,
    _u_hi,
)


class _Solver:
    """The nested solve of one edge problem (state: warm starts)."""

    def __init__(self, P: EdgeProblem, fixed_frequency: bool,
                 hint: tuple[float, float] | None = None) -> None:
        self.P = P
        self.fixed = fixed_frequency
        self.hint = hint
        self._reset()

    def _reset(self) -> None:
        """Forget every warm start."""
        self.x = np.log(self.P.A * self.P.n / self.P.B)  # equal shares
        self.y: float | None = None
        self.xh: np.ndarray | None = None
        self.point: _Point | None = None
        self.T_last: float | None = None
        self.dy_dT = 0.0

    def at_T(self, T: float) -> _Point | None:
        """Solve for mu at this T; None when T is shorter than the fastest possible time."""
        P = self.P
        x_hi = _u_hi(P, T, self.xh)
        if x_hi is None:
            return None
        self.xh = x_hi
        logB = math.log(P.B)
        if math.log(np.sum(P.A / np.exp(x_hi))) >= logB:
            return None
        # predictor from the last T (implicit derivatives): y and x move almost linearly
        y_pred, x_pred = self.y, np.minimum(self.x, x_hi)
        if self.point is not None and self.y is not None and self.T_last is not None:
            dT = T - self.T_last
            dy = max(-0.5, min(0.5, self.dy_dT * dT))  # far from the last T it is a guess
            y_pred = self.y + dy
            x_pred = self.x + np.clip(self.point.dx_dT * dT + self.point.dx_dy * dy, -0.5, 0.5)
        dxdy = self.point.dx_dy if self.point is not None else np.zeros(P.n)
        cache: dict[float, _Point] = {}

        def R(y: float) -> tuple[float, float]:
            x0 = np.minimum(x_pred + dxdy * (y - (y_pred or y)), x_hi)
            pt = _devices(P, T, y, x_hi, x0, self.fixed)
            cache[y] = pt
            sb = float(np.sum(pt.beta))
            d = -float(np.sum(pt.beta * pt.dx_dy)) / sb
            return math.log(sb) - logB, min(d, -1e-300)

        if y_pred is None:
            wep = P.we * P.p
            _, _, _, logpsi, _ = _terms(P, x_pred)
            y_pred = float(np.median(np.log(wep + P.wt / P.n) - logpsi))
        y = _scalar_root(R, -math.inf, math.inf, y_pred)
        if y not in cache:
            R(y)
        pt = cache[y]
        self.y, self.x, self.point, self.T_last = y, pt.x, pt, T
        den = float(np.sum(pt.beta * pt.dx_dy))
        self.dy_dT = -float(np.sum(pt.beta * pt.dx_dT)) / den if den > 0 else 0.0
        return pt

    def solve(self) -> EdgeAllocation:
        P = self.P
        logwt = math.log(P.wt)
        t_floor = float(np.max(P.cmin + P.tau0))
        last: dict[str, tuple[float, _Point, float]] = {}

        def R(logT: float) -> tuple[float, float]:
            T = math.exp(logT)
            pt = self.at_T(T)
            if pt is None:
                return math.inf, -1.0
            snu = float(np.sum(pt.nu))
            if snu <= 0:
                return -math.inf, -1.0
            dx = pt.dx_dT + pt.dx_dy * self.dy_dT
            _, _, _, _, dlogpsi = _terms(P, pt.x)
            mu_psi = pt.nu + P.we * P.p
            dnu = mu_psi * (self.dy_dT + dlogpsi * dx)
            last["pt"] = (logT, pt, float(self.y))
            return math.log(snu) - logwt, min(T * float(np.sum(dnu)) / snu, -1e-300)

        if self.hint is not None and math.isfinite(self.hint[1]) and self.hint[1] > 0:
            # warm start from a similar problem's (T, mu); the cold path below settles
            # what it cannot (the optimum on the feasibility edge, a stalled root)
            lo = math.log(t_floor)
            self.y = math.log(self.hint[1])
            logT = _scalar_root(R, lo, math.inf, max(math.log(self.hint[0]), lo + 1e-9),
                                iters=40)
            if "pt" in last:
                got_logT, pt, y = last["pt"]
                if got_logT != logT:
                    R(logT)
                    got_logT, pt, y = last["pt"]
                r1 = math.log(float(np.sum(pt.nu))) - logwt
                if got_logT == logT and abs(r1) <= 1e-10:
                    return self._interior(logT, pt, y, r1)
            self._reset()
            last.clear()
        log_tmin, x_min = self.min_time(t_floor)
        r_edge, _ = R(log_tmin + 1e-10)
        if not r_edge > 0:
            # optimal on the feasibility edge T = T_min: every device at f_max, bandwidth
            # just enough (the frequency bounds' multipliers take up the rest of lambda_t)
            T = math.exp(log_tmin)
            b = P.A / np.exp(x_min)
            b *= min(1.0, P.B / float(np.sum(b)))
            return self._finish(T, b, P.f_max.copy(), math.inf,
                                abs(float(np.sum(P.A / np.exp(x_min))) / P.B - 1.0))
        logT = _scalar_root(R, log_tmin + 1e-10, math.inf, log_tmin + 0.1)
        got_logT, pt, y = last["pt"]
        if got_logT != logT:
            R(logT)
            got_logT, pt, y = last["pt"]
        r1 = math.log(float(np.sum(pt.nu))) - logwt
        return self._interior(logT, pt, y, r1)

    def _interior(self, logT: float, pt: _Point, y: float, r1: float) -> EdgeAllocation:
        P = self.P
        T = math.exp(logT)
        b = P.A / np.exp(pt.x)
        b *= min(1.0, P.B / float(np.sum(b)))
        tm = P.s / (b * np.log2(1.0 + P.A / b))
        f = P.f_max.copy() if self.fixed else np.minimum(P.f_max,
                                                         P.w / np.maximum(T - tm, 1e-300))
        kkt = max(abs(float(np.sum(pt.beta)) / P.B - 1.0), abs(r1))
        return self._finish(T, b, f, math.exp(y), kkt)

    def _finish(self, T: float, b: np.ndarray, f: np.ndarray, price: float,
                kkt: float) -> EdgeAllocation:
        P = self.P
        tm = P.s / (b * np.log2(1.0 + P.A / b))
        T_real = float(np.max(P.w / f + tm))
        value = P.wt * T_real + P.we * float(np.sum(P.a * f * f + P.p * tm))
        return EdgeAllocation(value, T_real, f, b, price, kkt)

    def min_time(self, t_floor: float) -> tuple[float, np.ndarray]:
        """log T_min (every device at f_max, all bandwidth used) and log u there."""
        P = self.P
        logB = math.log(P.B)
        got: dict[str, np.ndarray] = {}

        def h(logT: float) -> tuple[float, float]:
            T = math.exp(logT)
            x_hi = _u_hi(P, T, got.get("x"))
            if x_hi is None:
                return math.inf, -1.0
            got["x"] = x_hi
            beta = P.A / np.exp(x_hi)
            sb = float(np.sum(beta))
            _, tm, dlogtm, _, _ = _terms(P, x_hi)
            d = -T * float(np.sum(beta / (tm * np.maximum(dlogtm, 1e-300)))) / sb
            return math.log(sb) - logB, min(d, -1e-300)

        lo = math.log(t_floor)
        log_tmin = _scalar_root(h, lo, math.inf, lo + 0.1)
        while not math.isfinite(h(log_tmin)[0]):  # numerically just outside: step in
            log_tmin += 1e-13 * max(1.0, abs(log_tmin))
        self.xh = None
        return log_tmin, got["x"]
