"""Oort-style guided participant selection, as a multi-round simulation.

Source: F. Lai, X. Zhu, H. V. Madhyastha, M. Chowdhury, "Oort: Efficient Federated
Learning via Guided Participant Selection", OSDI 2021, Sec. 4 and Algorithm 1. This is a
*different model* from FedCS (no shared upload channel, no per-round optimisation): each
round the server picks ``K`` clients from a population whose statistics it learns online,
and the round lasts as long as the slowest selected client. It is therefore not a method
of the ``client_selection`` formulation but a simulation with its own functions.

Oort's utility of an explored client ``i`` (Algorithm 1):

    Util(i) = U(i) + sqrt(0.1 * log(R) / L(i))            (temporal uncertainty, L = last round)
    Util(i) *= (T / t_i) ** alpha      if t_i > T          (system utility: slow clients pay)

with the statistical utility ``U(i) = |B_i| * sqrt(mean_{k in B_i} loss(k)^2)`` reported by
the client after training. Each round ``(1 - eps) K`` clients are *exploited*: clients whose
utility is at least ``cut_off * Util(((1 - eps) K)-th best)`` are sampled with probability
proportional to utility; ``eps K`` unexplored clients are *explored*, preferring large and
fast ones. ``eps`` decays geometrically to a floor. The *pacer* relaxes the preferred
duration ``T`` (a percentile of the known durations) by ``pacer_delta`` percentage points
when the exploited utility of the last ``pacer_step`` rounds is flat (within 10 %) against
the ``pacer_step`` rounds before.

Defaults (:class:`OortConfig`) are those of the authors' code, SymbioticLab/Oort
``core/argParser.py``: ``exploration_factor=0.9``, ``exploration_decay=0.98``,
``exploration_min=0.2``, ``round_penalty`` (alpha) ``=0.5``, ``cut_off_util=0.9``,
``sample_window=5``, ``pacer_delta=10``; the code disables the pacer by default
(``pacer_step`` huge) and starts with ``T`` = infinity (``round_threshold=101``); we use
``pacer_step=20`` and an initial percentile of 30 so that the pacer and the penalty act.

Simulated population (our choice; the paper trains real models): client ``i`` has
``size_i`` samples, a mean round duration ``duration_i`` (s; per round multiplied by
lognormal noise with sigma ``duration_noise``) and a loss ``loss_i`` that shrinks by
``loss_decay`` each time the client trains (it is fitted) and slowly recovers by
``loss_drift`` per round otherwise (the global model moves away from its data). The
harvested statistical utility of a round is the sum of ``U(i)`` of its participants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SimClient:
    """One client of the simulated population (times in seconds)."""

    size: int
    duration: float
    loss: float


@dataclass(frozen=True)
class OortConfig:
    """Oort's knobs (defaults from the authors' code, see the module docstring)."""

    exploration_factor: float = 0.9
    exploration_decay: float = 0.98
    exploration_min: float = 0.2
    round_penalty: float = 0.5
    cut_off_util: float = 0.9
    sample_window: float = 5.0
    pacer_step: int = 20
    pacer_delta: float = 10.0
    initial_percentile: float = 30.0


@dataclass(frozen=True)
class SimConfig:
    """Population dynamics of the simulation (our choices)."""

    loss_decay: float = 0.7
    loss_drift: float = 0.01
    duration_noise: float = 0.1


@dataclass
class SimulationResult:
    """What one policy achieved over the rounds.

    Attributes
    ----------
    policy
        Policy name.
    round_time
        Duration of each round (s): the slowest participant.
    utility
        Statistical utility harvested in each round.
    participants
        How many times each client took part.
    """

    policy: str
    round_time: list[float] = field(default_factory=list)
    utility: list[float] = field(default_factory=list)
    participants: list[int] = field(default_factory=list)

    @property
    def total_time(self) -> float:
        """Wall time of all rounds (s)."""
        return float(sum(self.round_time))

    @property
    def utility_per_second(self) -> float:
        """Harvested utility divided by wall time."""
        return float(sum(self.utility)) / max(self.total_time, 1e-12)


def population(n: int, seed: int) -> list[SimClient]:
    """A heterogeneous population: Zipf-like data sizes, lognormal durations, U(1, 3) loss."""
    rng = np.random.default_rng([seed, n, 2021])
    sizes = np.maximum(1, (rng.pareto(1.2, n) * 50).astype(int) + 10)
    durations = rng.lognormal(math.log(60.0), 0.8, n)
    losses = rng.uniform(1.0, 3.0, n)
    return [SimClient(int(s), float(d), float(lo))
            for s, d, lo in zip(sizes, durations, losses, strict=True)]


class OortSelector:
    """Oort's selection state (Algorithm 1), fed back after every round."""

    def __init__(self, n: int, k: int, cfg: OortConfig, rng: np.random.Generator,
                 sizes: Sequence[int], durations: Sequence[float]) -> None:
        self.n, self.k, self.cfg, self.rng = n, k, cfg, rng
        self.sizes = np.asarray(sizes, dtype=float)
        self.duration = np.asarray(durations, dtype=float)  # known (profiled) speeds
        self.util = np.zeros(n)
        self.last = np.zeros(n, dtype=int)
        self.explored = np.zeros(n, dtype=bool)
        self.eps = cfg.exploration_factor
        self.percentile = cfg.initial_percentile
        self.exploit_history: list[float] = []
        self.last_exploited: list[int] = []

    def preferred_duration(self) -> float:
        """``T``: the configured percentile of the client durations."""
        if self.percentile >= 100:
            return math.inf
        return float(np.percentile(self.duration, self.percentile))

    def scores(self, rnd: int) -> np.ndarray:
        """Oort utility of every explored client (``-inf`` for unexplored ones)."""
        t_pref = self.preferred_duration()
        out = np.full(self.n, -np.inf)
        idx = np.flatnonzero(self.explored)
        if idx.size:
            bonus = np.sqrt(0.1 * math.log(max(rnd, 2)) / np.maximum(self.last[idx], 1))
            sc = self.util[idx] + bonus
            slow = self.duration[idx] > t_pref
            sc[slow] *= (t_pref / self.duration[idx][slow]) ** self.cfg.round_penalty
            out[idx] = sc
        return out

    def select(self, rnd: int) -> list[int]:
        """The ``K`` participants of round ``rnd`` (1-based)."""
        self._pacer(rnd)
        self.eps = max(self.eps * self.cfg.exploration_decay, self.cfg.exploration_min)
        sc = self.scores(rnd)
        explored = np.flatnonzero(self.explored)
        n_exploit = min(int(self.k * (1.0 - self.eps)), explored.size)
        chosen: list[int] = []
        if n_exploit > 0:
            order = explored[np.lexsort((explored, -sc[explored]))]
            cut = sc[order[min(n_exploit, order.size - 1)]] * self.cfg.cut_off_util
            pool = order[sc[order] >= cut]
            weights = np.maximum(sc[pool], 1e-12)
            chosen = [int(i) for i in self.rng.choice(pool, n_exploit, replace=False,
                                                       p=weights / weights.sum())]
        self.last_exploited = list(chosen)
        unexplored = np.flatnonzero(~self.explored)
        n_explore = min(self.k - len(chosen), unexplored.size)
        if n_explore > 0:
            t_pref = self.preferred_duration()
            prior = self.sizes[unexplored].copy()
            slow = self.duration[unexplored] > t_pref
            prior[slow] *= (t_pref / self.duration[unexplored][slow]) ** self.cfg.round_penalty
            top = unexplored[np.argsort(-prior, kind="stable")]
            top = top[: max(n_explore, int(self.cfg.sample_window * n_explore))]
            w = np.maximum(prior[np.searchsorted(unexplored, top)], 1e-12)
            chosen += [int(i) for i in self.rng.choice(top, n_explore, replace=False,
                                                        p=w / w.sum())]
        rest = np.setdiff1d(np.arange(self.n), np.asarray(chosen, dtype=int))
        while len(chosen) < min(self.k, self.n):  # not enough explored/unexplored: random
            pick = int(self.rng.choice(rest))
            rest = rest[rest != pick]
            chosen.append(pick)
        return chosen

    def feedback(self, rnd: int, client: int, stat_utility: float, duration: float) -> None:
        """Record a participant's statistical utility and measured duration."""
        self.util[client] = stat_utility
        self.last[client] = rnd
        self.explored[client] = True
        self.duration[client] = duration

    def end_round(self, exploited_utility: float) -> None:
        """Record the exploited clients' utility of the round for the pacer."""
        self.exploit_history.append(exploited_utility)

    def _pacer(self, rnd: int) -> None:
        w = self.cfg.pacer_step
        h = self.exploit_history
        if len(h) >= 2 * w and (rnd - 1) % w == 0:
            before, now = sum(h[-2 * w:-w]), sum(h[-w:])
            if abs(now - before) <= 0.1 * before:
                self.percentile = min(100.0, self.percentile + self.cfg.pacer_delta)


def simulate(clients: Sequence[SimClient], policy: str, *, rounds: int = 100, k: int = 10,
             seed: int = 0, oort: OortConfig | None = None, sim: SimConfig | None = None
             ) -> SimulationResult:
    """Run ``rounds`` synchronous FL rounds with ``policy``.

    Parameters
    ----------
    clients
        The population.
    policy
        ``"oort"``, ``"random"`` (uniform ``K``) or ``"fastest"`` (the ``K`` clients with the
        shortest expected round time: FedCS's time-greedy rule when uploads do not share a
        channel).
    rounds, k
        Number of rounds and participants per round.
    seed
        Seed of every random draw (selection and duration noise).
    """
    if policy not in ("oort", "random", "fastest"):
        raise ValueError(f"unknown policy {policy!r}")
    sim = sim or SimConfig()
    rng = np.random.default_rng([seed, 7])
    noise_rng = np.random.default_rng([seed, 8])
    n = len(clients)
    loss = np.asarray([c.loss for c in clients], dtype=float)
    base_loss = loss.copy()
    sizes = np.asarray([c.size for c in clients], dtype=float)
    dur = np.asarray([c.duration for c in clients], dtype=float)
    out = SimulationResult(policy, participants=[0] * n)
    selector = OortSelector(n, k, oort or OortConfig(), rng, sizes, dur) \
        if policy == "oort" else None
    for rnd in range(1, rounds + 1):
        noise = noise_rng.lognormal(0.0, sim.duration_noise, n)
        if selector is not None:
            chosen = selector.select(rnd)
        elif policy == "random":
            chosen = [int(i) for i in rng.choice(n, min(k, n), replace=False)]
        else:
            chosen = [int(i) for i in np.argsort(dur, kind="stable")[:k]]
        actual = dur * noise
        stat = sizes * loss  # |B_i| * sqrt(mean loss^2) with a per-client loss level
        harvested = float(stat[chosen].sum())
        out.round_time.append(float(actual[chosen].max()) if chosen else 0.0)
        out.utility.append(harvested)
        if selector is not None:
            for i in chosen:
                selector.feedback(rnd, i, float(stat[i]), float(actual[i]))
            selector.end_round(float(stat[selector.last_exploited].sum()))
        for i in chosen:
            out.participants[i] += 1
        trained = np.zeros(n, dtype=bool)
        trained[chosen] = True
        loss = np.where(trained, loss * sim.loss_decay,
                        np.minimum(base_loss, loss + sim.loss_drift))
    return out


def compare_policies(n: int = 300, *, rounds: int = 100, k: int = 10, seed: int = 0
                     ) -> dict[str, SimulationResult]:
    """Oort vs random vs fastest-first on the same population and seed."""
    clients = population(n, seed)
    return {p: simulate(clients, p, rounds=rounds, k=k, seed=seed)
            for p in ("oort", "random", "fastest")}
