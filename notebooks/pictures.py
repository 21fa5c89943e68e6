"""The formulation-specific cells of each notebook: ``PICTURES[name]`` is a list of
``(markdown, code)`` pairs appended after the common sweep and plots (see
``make_notebooks.py``). The code runs in the notebook's namespace: ``module``, ``scale``,
``TIME_LIMIT``, ``np``, ``plt`` and the sweep's ``rows`` are there.
"""

from __future__ import annotations

PICTURES: dict[str, list[tuple[str, str]]] = {}

PICTURES["lavea"] = [("""## The schedule as a Gantt chart

One random instance, scheduled by the exact CP-SAT model and by LAVEA's shortest
scheduling latency first (SSLF) placement. Rows: each edge server's upload link and CPU,
then the clients (tasks run locally); bars are labelled with the task index.""",
'''inst = module.generate(8, 1)
fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
for ax, method in zip(axes, ["cpsat", "sslf"], strict=True):
    res = module.solve(inst, method, time_limit=TIME_LIMIT, seed=0)
    assert res.solution is not None, res.summary()
    module.plot(inst, res.solution, ax)
    ax.set_ylabel("resource")
    ax.set_title(f"{method} ({res.status.value}): {inst.objective} = {res.objective:.3f} s")
axes[-1].set_xlabel("time (s)")
fig.tight_layout()
''')]

PICTURES["partition"] = [("""## An optimal plan

AlexNet on phone / edge / cloud (`instances/partition/demo.json`, Neurosurgeon's LTE
uplink): each layer's latency on the tier it runs on, coloured by tier; dotted lines mark
the cuts.""",
'''from edgeopt_solve import io as files
from formulations.partition.parametric import plan_table, with_bandwidth

inst = files.load(INSTANCES / "demo.json").instance
res = module.solve(inst, "mincut", time_limit=TIME_LIMIT)
print(res.summary())
fig, ax = plt.subplots(figsize=(11, 4))
module.plot(inst, res.solution, ax)
ax.set_title(f"optimal plan at {inst.links[0].bandwidth / 1e6:.2f} Mbit/s uplink: "
             f"{inst.objective} {res.objective * 1e3:.1f} ms")
fig.tight_layout()
'''), ("""## Latency against bandwidth, with its breakpoints

The `parametric` method traces the optimal plan over the uplink bandwidth (Eisner and
Severance's envelope of the plans' cost lines `A + B / bandwidth`). The envelope is that of
the cost lines alone, so it is drawn for the model without the phone's memory limit
(Neurosurgeon's setting). Thin dotted lines: the cost of each optimal plan at every
bandwidth; thick line: the optimum (their lower envelope); dashed verticals: the
breakpoints where the optimal plan changes; dots: an independent `mincut` solve at that
bandwidth, which must lie on the envelope; crosses: the optimum with the phone's memory
limit (`milp`, the general exact model), above the envelope where the limit binds.""",
'''LOW, HIGH = 1e5, 1e10  # bit/s
data = inst.to_dict()
data["tiers"] = [{k: v for k, v in t.items() if k != "memory"} for t in data["tiers"]]
free = module.Instance.from_dict(data)  # the same system without memory limits
table = plan_table(free, link=0, low=LOW, high=HIGH)


def describe(plan):
    return ", ".join(f"{t.name} {plan.count(k)}" for k, t in enumerate(inst.tiers) if plan.count(k))


print(f"{len(table.plans)} optimal plans, breakpoints (Mbit/s):")
uppers = [*table.bandwidths[1:], HIGH]
for lo, hi, plan in zip(table.bandwidths, uppers, table.plans, strict=True):
    print(f"  [{lo / 1e6:10.4f}, {hi / 1e6:10.4f})  layers per tier: {describe(plan)}")

bw = np.geomspace(LOW, HIGH, 400)
fig, ax = plt.subplots(figsize=(11, 5))
for k, (plan, (a, b)) in enumerate(zip(table.plans, table.lines, strict=True)):
    ax.plot(bw / 1e6, a + b / bw, ls=":", lw=1.2, color=f"C{k}", label=describe(plan))
ax.plot(bw / 1e6, [table.cost(x) for x in bw], color="k", lw=2.5, alpha=0.6,
        label="optimum (lower envelope)")
for x in table.bandwidths[1:]:
    ax.axvline(x / 1e6, color="grey", ls="--", lw=1)
checks = np.geomspace(LOW, HIGH, 11)
free_opt = [module.solve(with_bandwidth(free, 0, x), "mincut").objective for x in checks]
assert np.allclose(free_opt, [table.cost(x) for x in checks], rtol=1e-6), free_opt
ax.plot(checks / 1e6, free_opt, "o", color="k", label="mincut at that bandwidth")
limited = [module.solve(with_bandwidth(inst, 0, x), "milp", time_limit=TIME_LIMIT) for x in checks]
assert all(r.status.value == "optimal" for r in limited), [r.summary() for r in limited]
assert all(r.objective >= f * (1 - 1e-6) for r, f in zip(limited, free_opt, strict=True))
ax.plot(checks / 1e6, [r.objective for r in limited], "x", color="tab:red", ms=9, mew=2,
        label="optimum with the phone's memory limit (milp)")
ax.axvline(inst.links[0].bandwidth / 1e6, color="tab:red", lw=1, label="instance's uplink")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("uplink bandwidth (Mbit/s)")
ax.set_ylabel("end-to-end latency (s)")
ax.set_title("Optimal latency against uplink bandwidth (AlexNet, phone / edge / cloud)")
ax.legend(fontsize="small")
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
''')]

PICTURES["fl_energy"] = [("""## One allocation

Yang et al.'s set-up with 10 devices: bandwidth per device (bars) and its transmit power
and CPU frequency as fractions of their maxima.""",
'''inst = module.yang_instance(n=10, seed=0)
res = module.solve(inst, "fast", time_limit=TIME_LIMIT)
print(res.summary())
fig, ax = plt.subplots(figsize=(10, 4))
module.plot(inst, res.solution, ax)
fig.tight_layout()
'''), ("""## Energy against the deadline, against the baselines

The total energy of the optimum (`fast`) and of the paper's baselines as the training
deadline `T` varies; deadlines a method cannot meet are left out of its curve.""",
'''import dataclasses

BASELINES = ["fast", "equal-bandwidth", "max-frequency", "fixed-eta"]
DEADLINES = np.geomspace(0.25, 8.0, scale([6], [25])[0]) * inst.deadline  # s
curves = {m: ([], []) for m in BASELINES}
for T in DEADLINES:
    at_t = dataclasses.replace(inst, deadline=float(T))
    for m in BASELINES:
        r = module.solve(at_t, m, time_limit=TIME_LIMIT)
        if r.objective is not None:
            curves[m][0].append(T)
            curves[m][1].append(r.objective)
best = dict(zip(*curves["fast"], strict=True))
for m in BASELINES[1:]:  # no baseline beats the optimum
    assert all(e >= best[t] * (1 - 1e-6) for t, e in zip(*curves[m], strict=True) if t in best), m

fig, ax = plt.subplots(figsize=(10, 5))
for m in BASELINES:
    ax.plot(*curves[m], marker="o", ms=4, label=m, lw=2.5 if m == "fast" else 1.2)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training deadline T (s)")
ax.set_ylabel("total energy (J)")
ax.set_title(f"FL energy against the deadline ({inst.n} devices)")
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
''')]

PICTURES["fl_fedl"] = [("""## One allocation

FEDL with 10 devices at the paper-like parameters: each device's CPU frequency and TDMA
slot (the package's own picture).""",
'''inst = module.paper_instance(n=10, seed=0)
res = module.solve(inst, "fast", time_limit=TIME_LIMIT)
print(res.summary())
fig, ax = plt.subplots(figsize=(10, 4))
module.plot(inst, res.solution, ax)
fig.tight_layout()
'''), ("""## The energy/time trade-off as kappa varies

FEDL weighs energy against time with kappa (J/s). As in the paper's figures, a larger
kappa buys a shorter round (higher frequencies, shorter slots) with more energy; the
optimal local accuracy theta moves with it.""",
'''import dataclasses

KAPPAS = np.geomspace(0.01, 100.0, scale([7], [25])[0])
rows = []
for k in KAPPAS:
    r = module.solve(dataclasses.replace(inst, kappa=float(k)), "fast", time_limit=TIME_LIMIT)
    terms = module.round_terms(inst, r.solution)
    rows.append((k, r.solution.theta, terms["E_cp"] + terms["E_co"], terms["T_cp"] + terms["T_co"]))
kap, theta, energy, time_ = map(np.array, zip(*rows, strict=True))
assert np.all(np.diff(energy) >= -1e-9 * energy[:-1])  # more weight on time: never less energy
assert np.all(np.diff(time_) <= 1e-9 * time_[:-1])     # ... and never a longer round

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4))
ax.loglog(kap, energy, "o-", label="energy per round (J, one local iteration)")
ax.loglog(kap, time_, "s-", label="time per round (s, one local iteration)")
ax.set_xlabel("kappa (J/s)")
ax.legend(fontsize="small")
ax.grid(alpha=0.3, which="both")
ax2.semilogx(kap, theta, "o-")
ax2.set_xlabel("kappa (J/s)")
ax2.set_ylabel("optimal local accuracy theta")
ax2.grid(alpha=0.3, which="both")
fig.tight_layout()
''')]

PICTURES["fl_uplink"] = [("""## One round on a NOMA uplink

Ten devices compute, then upload together with successive interference cancellation;
each bar is one device's computation then upload (the package's own picture).""",
'''inst = module.mo_xu_instance(n=10, seed=0, access="noma")
res = module.solve(inst, "fast", time_limit=TIME_LIMIT)
print(res.summary())
fig, ax = plt.subplots(figsize=(10, 4))
module.plot(inst, res.solution, ax)
fig.tight_layout()
'''), ("""## TDMA against NOMA as the deadline grows

Mo & Xu's qualitative result: the round's energy falls as the deadline grows, NOMA never
needs more energy than TDMA, and just above the smallest deadline TDMA can meet, only NOMA
is cheap (below it TDMA is infeasible and drops out of the curve).""",
'''import dataclasses

DEADLINES = np.geomspace(0.8, 12.0, scale([8], [30])[0]) * inst.deadline
curves = {"tdma": ([], []), "noma": ([], [])}
for T in DEADLINES:
    for access in curves:
        r = module.solve(dataclasses.replace(inst, access=access, deadline=float(T)), "fast",
                         time_limit=TIME_LIMIT)
        if r.objective is not None:
            curves[access][0].append(T)
            curves[access][1].append(r.objective)
noma = dict(zip(*curves["noma"], strict=True))
assert all(noma[t] <= e * (1 + 1e-6) for t, e in zip(*curves["tdma"], strict=True))
for access, (_, es) in curves.items():
    assert np.all(np.diff(es) <= 1e-9 * np.asarray(es[:-1])), access  # falls with T

fig, ax = plt.subplots(figsize=(10, 5))
for access, (ts, es) in curves.items():
    ax.loglog(ts, 1e3 * np.asarray(es), "o-", label=access.upper())
ax.set_xlabel("deadline T (s)")
ax.set_ylabel("energy of the round (mJ)")
ax.legend()
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
''')]

PICTURES["fl_hierarchical"] = [("""## One association, exact against the transfer/exchange search

Devices coloured by the edge server they join (the package's own picture): the proven
optimum of the set-partitioning MILP beside HFEL's transfer/exchange stable point.""",
'''inst = module.generate(8, 0)
best = module.solve(inst, "exact", time_limit=TIME_LIMIT)
ours = module.solve(inst, "hfel", time_limit=TIME_LIMIT)
print(best.summary())
print(ours.summary())
assert ours.objective >= best.objective * (1 - 1e-9)  # a heuristic never beats the optimum
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 5))
module.plot(inst, best.solution, ax)
ax.set_title(f"exact: {best.objective:.4g}")
module.plot(inst, ours.solution, ax2)
ax2.set_title(f"hfel: {ours.objective:.4g}")
fig.tight_layout()
''')]

PICTURES["client_selection"] = [("""## One round, exact against FedCS

`instances/client_selection/fedcs_counterexample.json`: three clients where the FedCS
greedy stops at two and the optimum fits all three. Grey: model download; blue: local
update; orange: upload on the shared channel; dashed: the deadline.""",
'''from edgeopt_solve import io as files

inst = files.load(INSTANCES / "fedcs_counterexample.json").instance
fig, axes = plt.subplots(1, 2, figsize=(12, 3.5), sharex=True)
for ax, method in zip(axes, ["exact", "fedcs"], strict=True):
    res = module.solve(inst, method, time_limit=TIME_LIMIT)
    module.plot(inst, res.solution, ax)
    ax.set_ylabel("client")
    ax.set_title(f"{method}: {res.objective:g} of {len(inst.clients)} clients")
fig.tight_layout()
'''), ("""## FedCS shortfall over random instances

How many clients the FedCS greedy selects fewer than the optimum (`exact`), over random
instances of several sizes.""",
'''N_INSTANCES = scale([120], [2000])[0]
SHORTFALL_SIZES = scale([10, 20, 40], [10, 20, 50, 100, 200])
shortfall = {n: [] for n in SHORTFALL_SIZES}
for k in range(N_INSTANCES):
    n = SHORTFALL_SIZES[k % len(SHORTFALL_SIZES)]
    inst = module.generate(n, 1000 + k)
    opt = module.solve(inst, "exact", time_limit=TIME_LIMIT)
    greedy = module.solve(inst, "fedcs", time_limit=TIME_LIMIT)
    assert greedy.objective <= opt.objective + 1e-9
    shortfall[n].append(opt.objective - greedy.objective)

top = int(max(max(v) for v in shortfall.values()))
bins = np.arange(-0.5, top + 1.5, 1.0)
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.hist([shortfall[n] for n in SHORTFALL_SIZES], bins=bins, stacked=True,
        label=[f"{n} clients" for n in SHORTFALL_SIZES])
ax.set_xticks(range(top + 1))
ax.set_xlabel("FedCS shortfall: optimum minus FedCS (clients selected)")
ax.set_ylabel("instances")
ax.set_title(f"FedCS against the optimum on {N_INSTANCES} random instances")
ax.legend()
fig.tight_layout()
for n in SHORTFALL_SIZES:
    v = np.array(shortfall[n])
    print(f"{n:4d} clients: FedCS optimal on {np.mean(v == 0):6.1%}, mean shortfall {v.mean():.3f}")
''')]

PICTURES["uav_path"] = [("""## The tour map: cluster heads and speeds

Devices are clustered into the fewest hovering points that cover them (`cover_points`, a
set-cover MILP: the cluster heads), the tour over the heads is solved exactly, and the
per-leg speeds follow the fair speed control (slower over clusters with more devices)
under a flight-energy budget 20% above the least flight energy such speeds allow. Leg
colour: speed; numbers: devices served at each head. Right: data collected in flight as the
budget grows (more energy buys slower legs, so longer contact).""",
'''from matplotlib.collections import LineCollection

from formulations.uav_path.clustering import cover_points
from formulations.uav_path.evaluate import hover_times, leg_lengths
from formulations.uav_path.speed_control import fair_speeds, speed_bits_table

BUDGET_FACTOR = 1.2
area = module.generate(12, 1)
heads, cover_status = cover_points(area, time_limit=TIME_LIMIT)
res = module.solve(heads, "exact", time_limit=TIME_LIMIT)
print(f"{len(area.devices)} devices -> {heads.n} cluster heads ({cover_status.value}); "
      + res.summary())
tour = res.solution
hover_energy = heads.energy_model.hover_power * sum(hover_times(heads))
cruise_flight = res.objective - hover_energy  # J, every leg at the cruise speed
least = fair_speeds(heads, tour, 0.0).energy  # J, the least flight energy of fair speeds
ctrl = fair_speeds(heads, tour, BUDGET_FACTOR * least)
assert ctrl.feasible, ctrl
planned = module.Solution(tour.tour, ctrl.speeds)
assert module.verify(heads, planned) == [], module.verify(heads, planned)

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [3, 2]})
module.plot(heads, planned, ax)
nodes = [heads.base, *(heads.points[j] for j in tour.tour), heads.base]
segments = [[nodes[k], nodes[k + 1]] for k in range(len(nodes) - 1)]
lines = LineCollection(segments, array=np.array(ctrl.speeds), cmap="plasma", linewidths=3)
ax.add_collection(lines)
fig.colorbar(lines, ax=ax, label="leg speed (m/s)")
served = [0] * heads.n
for dev in heads.devices:
    d2 = [(dev.position[0] - p[0]) ** 2 + (dev.position[1] - p[1]) ** 2 for p in heads.points]
    served[int(np.argmin(d2))] += 1
for j, p in enumerate(heads.points):
    ax.annotate(str(served[j]), p, textcoords="offset points", xytext=(5, 5), fontsize=8)
ax.set_title(f"tour over {heads.n} cluster heads, {sum(leg_lengths(heads, planned)) / 1e3:.2f} km")

budgets = np.linspace(1.0, 3.0, scale([12], [40])[0]) * least
table = speed_bits_table(heads, tour, list(budgets))
feasible = [(b, bits) for b, c, bits, _e in table if np.isfinite(c)]
ax2.plot([b / 1e3 for b, _ in feasible], [bits / 1e6 for _, bits in feasible], marker="o")
ax2.axvline(cruise_flight / 1e3, color="grey", ls="--", label="every leg at cruise speed")
ax2.axvline(ctrl.energy / 1e3, color="tab:red", ls=":", label="the plan on the map")
ax2.set_xlabel("flight energy budget (kJ)")
ax2.set_ylabel("data collected in flight (Mbit)")
ax2.set_title("Fair speed control: data against energy")
ax2.legend(fontsize="small")
ax2.grid(alpha=0.3)
fig.tight_layout()
''')]

PICTURES["placement"] = [("""## The assignment as a heat map

Cost of caching each block on each server (colour; the last row is the cost of leaving the
block unplaced, served from the cloud, where allowed). Squares: the optimum (`milp`);
crosses: the regret greedy.""",
'''inst = module.generate(40, 1)
best = module.solve(inst, "milp", time_limit=TIME_LIMIT)
greedy = module.solve(inst, "greedy", time_limit=TIME_LIMIT)
print(best.summary())
print(greedy.summary())
n_blocks = len(inst.penalty)
rows_ = [list(r) for r in inst.cost]
labels = [f"server {i}" for i in range(inst.m)]
has_cloud = any(p is not None for p in inst.penalty)
if has_cloud:
    rows_.append([np.nan if p is None else p for p in inst.penalty])
    labels.append("unplaced")
grid = np.array(rows_, dtype=float)


def row_of(i):
    return inst.m if i is None else i


fig, (ax, ax2) = plt.subplots(2, 1, figsize=(13, 8), gridspec_kw={"height_ratios": [3, 2]})
from matplotlib.colors import PowerNorm

im = ax.imshow(grid, aspect="auto", cmap="viridis", interpolation="nearest",
               norm=PowerNorm(gamma=0.4, vmin=0.0, vmax=float(np.nanmax(grid))))
fig.colorbar(im, ax=ax, label="cost of the block there (s, power scale)")
ax.plot(range(n_blocks), [row_of(i) for i in best.solution.assignment], "s", mfc="none",
        mec="red", ms=9, mew=2, label=f"milp ({best.objective:.3f} s)")
ax.plot(range(n_blocks), [row_of(i) for i in greedy.solution.assignment], "x", color="white",
        ms=7, mew=2, label=f"greedy ({greedy.objective:.3f} s)")
ax.set_yticks(range(len(labels)), labels)
ax.set_xlabel("data block")
ax.set_ylabel("where it is cached")
ax.set_title("Placement: cost matrix and chosen servers", pad=28)
ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize="small")
module.plot(inst, best.solution, ax2)
ax2.set_title("storage used by the optimum against capacity (red)")
fig.tight_layout()
''')]
