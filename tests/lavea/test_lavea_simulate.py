"""Online simulation: determinism, bad input, speed, and LAVEA's comparison in kind."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

import formulations.lavea as L
from edgeopt_solve import InvalidInstanceError
from formulations.lavea.model import Instance
from formulations.lavea.simulate import simulate


def one_server(seed: int = 1, slow_client: float = 8.0) -> Instance:
    """20 task types on one edge server; clients ``slow_client`` x slower than the edge."""
    rng = np.random.default_rng(seed)
    tasks = []
    for _ in range(20):
        a, b = (float(np.round(rng.uniform(0.02, 0.2), 3)) for _ in range(2))
        tasks.append({"upload": a, "compute": b, "local": round(slow_client * b, 3)})
    return Instance.from_dict({"servers": [{"name": "front"}], "tasks": tasks})


def three_servers(seed: int = 2) -> Instance:
    """Front server (slow CPU) and two forwarded neighbours (2x and 1.5x faster CPUs)."""
    rng = np.random.default_rng(seed)
    tasks = []
    for _ in range(20):
        a = float(np.round(rng.uniform(0.02, 0.1), 3))
        b = float(np.round(rng.uniform(0.05, 0.3), 3))
        tasks.append({"upload": a, "compute": [b, round(b / 2, 3), round(b / 1.5, 3)]})
    return Instance.from_dict({"servers": [{"name": "front"},
                                           {"name": "fast", "forward_time": 0.03},
                                           {"name": "mid", "forward_time": 0.05}],
                               "tasks": tasks})


def test_simulation_is_deterministic_for_a_seed() -> None:
    inst = three_servers()
    a = simulate(inst, "sslf", rate=20.0, count=3000, seed=7)
    b = simulate(inst, "sslf", rate=20.0, count=3000, seed=7)
    c = simulate(inst, "sslf", rate=20.0, count=3000, seed=8)
    assert a == b and np.array_equal(a.response, b.response)
    assert a.mean != c.mean
    assert sum(a.placed.values()) == 3000


def test_simulation_of_a_trace_matches_the_static_schedule() -> None:
    """Arrivals that never queue: every response is exactly upload + compute."""
    inst = one_server()
    trace = [(10.0 * i, i % inst.n) for i in range(50)]
    res = simulate(inst, "front", order="fifo", trace=trace)
    want = [inst.p1[k][0] + inst.p2[k][0] for _, k in trace]
    assert np.allclose(res.response, want)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"rate": 0.0}, "arrival_rate"),
    ({"rate": -1.0}, "arrival_rate"),
    ({"rate": float("nan")}, "arrival_rate"),
    ({"rate": 1.0, "count": 0}, "count"),
    ({"trace": [(1.0, 0), (0.5, 1)]}, "trace"),
    ({"trace": [(0.0, 99)]}, "trace"),
    ({"rate": 1.0, "policy": "random"}, "policy"),
    ({"rate": 1.0, "order": "lifo"}, "order"),
    ({}, "arrival_rate"),
])
def test_simulation_bad_input(kwargs: dict, field: str) -> None:
    policy = kwargs.pop("policy", "sslf")
    with pytest.raises(InvalidInstanceError) as info:
        simulate(one_server(), policy, **kwargs)
    assert info.value.field == field


def test_instance_arrivals_block_is_used() -> None:
    data = one_server().to_dict()
    data["arrivals"] = {"rate": 5.0, "count": 200}
    res = simulate(Instance.from_dict(data), "front")
    assert res.arrivals == 200


def test_100k_arrivals_are_fast() -> None:
    inst = three_servers()
    t0 = time.perf_counter()
    res = simulate(inst, "sslf", rate=20.0, count=100_000, seed=1)
    elapsed = time.perf_counter() - t0
    assert res.arrivals == 100_000
    assert elapsed < 10.0, elapsed


def test_lavea_offloading_with_johnson_beats_fifo_and_local() -> None:
    """LAVEA in kind (edge-front): batches of tasks from many clients.

    Static: Johnson's order never loses to FIFO on the makespan of a batch and offloading
    beats running every task on its client. Online: bursts of 8 tasks arrive together;
    Johnson's order finishes bursts sooner than FIFO; offloading beats local execution.
    """
    inst = one_server()
    wins = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        kinds = rng.integers(0, inst.n, 12)
        batch = Instance(inst.servers, tuple(
            dataclasses.replace(inst.tasks[k], name=f"b{i}") for i, k in enumerate(kinds)),
            "makespan")
        j = L.solve(batch, "johnson").objective
        f = L.solve(batch, "fifo").objective
        assert j <= f + 1e-9
        wins.append(f / j)
    print(f"\nbatch makespan FIFO / Johnson: mean {np.mean(wins):.3f}, max {max(wins):.3f}")
    assert np.mean(wins) > 1.01

    period = 8 * 0.115 / 0.9          # 90 % load on the CPU
    rng = np.random.default_rng(3)
    trace = [(b * period, int(k)) for b in range(1500) for k in rng.integers(0, inst.n, 8)]
    res = {o: simulate(inst, "front", order=o, trace=trace) for o in ("fifo", "johnson")}
    loc = simulate(inst, "local", trace=trace)
    burst = {o: r.response.reshape(-1, 8).max(axis=1).mean() for o, r in res.items()}
    print(f"burst completion FIFO / Johnson = {burst['fifo'] / burst['johnson']:.3f}; "
          f"mean response local / Johnson = {loc.mean / res['johnson'].mean:.3f}; "
          f"p95 local / Johnson = {loc.p95 / res['johnson'].p95:.3f}")
    assert burst["johnson"] < burst["fifo"]
    assert res["johnson"].mean < loc.mean


def test_lavea_sslf_beats_sttf_and_sqlf_under_load() -> None:
    """LAVEA in kind (inter-edge): SSLF has the lowest mean and p95 response time."""
    inst = three_servers()
    mean_b = np.mean([inst.p2[j][0] for j in range(inst.n)])
    capacity = (1 + 2 + 1.5) / mean_b
    for load in (0.6, 0.85):
        r = {p: simulate(inst, p, rate=load * capacity, count=20_000, seed=1)
             for p in ("sttf", "sqlf", "sslf")}
        print(f"\nload {load}: mean STTF/SSLF = {r['sttf'].mean / r['sslf'].mean:.2f}, "
              f"SQLF/SSLF = {r['sqlf'].mean / r['sslf'].mean:.3f}; "
              f"p95 SQLF/SSLF = {r['sqlf'].p95 / r['sslf'].p95:.3f}")
        assert r["sslf"].mean < r["sqlf"].mean < r["sttf"].mean
        assert r["sslf"].p95 < r["sqlf"].p95
