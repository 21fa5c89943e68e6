"""Online budgeted client selection: clients arrive one by one, keep at most ``R``.

Source: A. Mohammed, A. Chakraborty, T. Ekblom, ... "Budgeted Online Selection of
Candidate IoT Clients to Participate in Federated Learning", IEEE Internet of Things
Journal 8(7), 2021. Candidate clients arrive in random order, each with a score (in the
paper: the accuracy of the client's locally trained model on a server test set; here a
given number), and the server must accept or reject each on arrival, accepting at most
``R`` (the budget), to maximise the total score of the accepted clients. The paper casts
this as a multiple-choice secretary problem; we implement the standard rule it builds on,
Babaioff, Immorlica, Kempe & Kleinberg's "optimistic" k-secretary algorithm (APPROX 2007),
which is ``1/e``-competitive in expectation for random arrival order:

1. observe (reject) the first ``floor(n / e)`` arrivals (``sample_fraction`` option);
2. keep the ``R`` best scores seen in that sample as a reference set;
3. afterwards accept an arrival whose score exceeds the smallest reference score (while
   budget remains) and remove that smallest score from the reference set.

A different model from FedCS (no schedule; decisions are irrevocable), so these are
functions, not methods of the formulation. :func:`offline_optimum` is the hindsight
optimum (the ``R`` best scores) and :func:`competitive_ratio` estimates the ratio over
random arrival orders.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

import numpy as np


def secretary_select(scores: Sequence[float], budget: int, *,
                     sample_fraction: float = 1.0 / math.e) -> list[int]:
    """Positions accepted by the optimistic k-secretary rule, in arrival order.

    Parameters
    ----------
    scores
        Scores in arrival order.
    budget
        ``R``, the most clients that may be accepted (>= 0).
    sample_fraction
        Share of the arrivals only observed (default ``1/e``).
    """
    if budget < 0:
        raise ValueError("budget must be >= 0")
    if not 0.0 <= sample_fraction < 1.0:
        raise ValueError("sample_fraction must be in [0, 1)")
    n = len(scores)
    if budget == 0 or n == 0:
        return []
    n_sample = math.floor(n * sample_fraction)
    reference = heapq.nlargest(budget, (float(s) for s in scores[:n_sample]))
    heapq.heapify(reference)  # min-heap of the reference scores
    accepted: list[int] = []
    for pos in range(n_sample, n):
        if len(accepted) == budget:
            break
        s = float(scores[pos])
        if not reference:
            accepted.append(pos)  # sample smaller than the budget: accept freely
        elif s > reference[0]:
            heapq.heappop(reference)
            accepted.append(pos)
    return accepted


def offline_optimum(scores: Sequence[float], budget: int) -> float:
    """Total score of the ``budget`` best clients (hindsight optimum)."""
    return float(sum(heapq.nlargest(max(budget, 0), (float(s) for s in scores))))


def competitive_ratio(n: int, budget: int, *, trials: int = 200, seed: int = 0,
                      distribution: str = "uniform") -> tuple[float, float]:
    """Mean and worst ratio (online / offline) over random scores and arrival orders.

    ``distribution``: ``"uniform"`` scores in [0, 1] or ``"lognormal"`` (heavy tail).
    """
    rng = np.random.default_rng([seed, n, budget])
    ratios = []
    for _ in range(trials):
        if distribution == "uniform":
            scores = rng.uniform(0.0, 1.0, n)
        elif distribution == "lognormal":
            scores = rng.lognormal(0.0, 1.0, n)
        else:
            raise ValueError(f"unknown distribution {distribution!r}")
        chosen = secretary_select(scores.tolist(), budget)
        best = offline_optimum(scores.tolist(), budget)
        ratios.append(float(scores[chosen].sum()) / best if best > 0 else 1.0)
    return float(np.mean(ratios)), float(np.min(ratios))
