"""fl_energy: the mathematics the exact methods rely on, checked numerically."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from formulations.fl_energy.eta import argmin_on, eta_closed_form, eta_objective
from formulations.fl_energy.kernels import LN2, phi, phi_inverse, psi, xpsi


def tx_energy(t: np.ndarray, b: np.ndarray, s: float = 28.1e3, k: float = 1.0) -> np.ndarray:
    """(N0/g)·t·b·(2^(s/(t·b)) - 1) with N0/g = k."""
    return k * t * b * np.expm1(s / (t * b) * LN2)


def test_transmission_energy_is_jointly_convex_hessian() -> None:
    rng = np.random.default_rng(0)
    s = 28.1e3
    worst = math.inf
    for _ in range(400):
        # spectral efficiency between 0.05 and 12 bit/s/Hz, times 1 ms..1 s
        t = 10 ** rng.uniform(-3, 0)
        b = s / (t * 10 ** rng.uniform(math.log10(0.05), math.log10(12)))
        ht, hb = t * 1e-4, b * 1e-4

        def f(dt: float, db: float, t: float = t, b: float = b) -> float:
            return float(tx_energy(np.array(t + dt), np.array(b + db), s))

        ftt = (f(ht, 0) - 2 * f(0, 0) + f(-ht, 0)) / ht ** 2
        fbb = (f(0, hb) - 2 * f(0, 0) + f(0, -hb)) / hb ** 2
        ftb = (f(ht, hb) - f(ht, -hb) - f(-ht, hb) + f(-ht, -hb)) / (4 * ht * hb)
        # scale-free PSD test: normalised Hessian diag(t,b) H diag(t,b)
        H = np.array([[ftt * t * t, ftb * t * b], [ftb * t * b, fbb * b * b]])
        eig = np.linalg.eigvalsh(H)
        worst = min(worst, eig[0] / max(abs(eig[1]), 1e-300))
    assert worst > -1e-4, worst


def test_transmission_energy_midpoint_convexity() -> None:
    rng = np.random.default_rng(1)
    s = 28.1e3
    t1, t2 = 10 ** rng.uniform(-3, 0, 5000), 10 ** rng.uniform(-3, 0, 5000)
    b1 = s / (t1 * 10 ** rng.uniform(-1.3, 1.1, 5000))
    b2 = s / (t2 * 10 ** rng.uniform(-1.3, 1.1, 5000))
    lam = rng.uniform(0, 1, 5000)
    mid = tx_energy(lam * t1 + (1 - lam) * t2, lam * b1 + (1 - lam) * b2, s)
    chord = lam * tx_energy(t1, b1, s) + (1 - lam) * tx_energy(t2, b2, s)
    assert np.all(mid <= chord * (1 + 1e-12))
    # and the product form alone is NOT what makes it convex: t·b is indefinite
    assert np.any((0.5 * (t1 + t2)) * (0.5 * (b1 + b2)) > 0.5 * (t1 * b1 + t2 * b2))


def test_phi_psi_identities() -> None:
    x = np.geomspace(1e-6, 60, 400)
    direct_phi = np.expm1(x * LN2) / x
    assert np.allclose(phi(x), direct_phi, rtol=1e-10)
    h = x * 1e-6
    dphi = (phi(x + h) - phi(x - h)) / (2 * h)
    assert np.allclose(psi(x), x * dphi, rtol=1e-5)
    assert np.allclose(xpsi(x), x * psi(x), rtol=1e-12)
    # the small-argument series joins the closed form smoothly
    y = np.array([0.05 / LN2 * (1 - 1e-9), 0.05 / LN2 * (1 + 1e-9)])
    assert abs(xpsi(y[0]) / xpsi(y[1]) - 1) < 1e-7
    assert np.all(np.diff(xpsi(x)) > 0) and np.all(np.diff(psi(x)) > 0)
    target = np.geomspace(LN2 * 1.0001, 1e12, 300)
    assert np.allclose(phi(phi_inverse(target)), target, rtol=1e-12)
    assert phi_inverse(np.array([0.5]))[0] == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_eta_closed_form_matches_numeric_minimisation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(20):
        c0, c1 = 10 ** rng.uniform(-4, 3), 10 ** rng.uniform(-4, 3)
        eta = eta_closed_form(c0, c1)
        num = minimize_scalar(lambda u, c0=c0, c1=c1: eta_objective(c0, c1,
                                                                    1 / (1 + math.exp(-u))),
                              bounds=(-40, 40), method="bounded",
                              options={"xatol": 1e-12})
        eta_num = 1 / (1 + math.exp(-num.x))
        assert 0 < eta < 1
        assert eta_objective(c0, c1, eta) <= eta_objective(c0, c1, eta_num) * (1 + 1e-12)
        assert abs(eta - eta_num) <= 1e-5 * max(eta, 1e-3)
        # stationarity: 1/eta - ln(1/eta) = 1 + c0/c1
        assert math.isclose(1 / eta - math.log(1 / eta), 1 + c0 / c1, rel_tol=1e-9)


def test_eta_interval_minimiser() -> None:
    c0, c1 = 2.0, 1.0
    free = eta_closed_form(c0, c1)
    assert argmin_on(c0, c1, 0.01, 0.99) == pytest.approx(free)
    assert argmin_on(c0, c1, free + 0.01, 0.99) == pytest.approx(free + 0.01)
    assert argmin_on(c0, c1, 0.01, free - 0.01) == pytest.approx(free - 0.01)
    assert argmin_on(-1.0, 1.0, 0.1, 0.7) == 0.7  # decreasing when c0 <= 0
    with pytest.raises(ValueError):
        eta_closed_form(-1.0, 1.0)
    big = eta_closed_form(1e4, 1.0)  # exp underflow branch
    assert math.isclose(1 / big - math.log(1 / big), 1 + 1e4, rel_tol=1e-12)
