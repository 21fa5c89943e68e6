"""Write ``notebooks/<name>.ipynb`` in the common shape (outputs are never committed).

Usage::

    python notebooks/make_notebooks.py            # every notebook below
    python notebooks/make_notebooks.py lavea      # only these

Every formulation notebook has the same cells (see ``notebooks/README.md``):

1. title and what the notebook shows;
2. parameters: small sizes by default, the full study with ``EDGEOPT_FULL=1``
   (:func:`edgeopt_solve.experiments.scale`);
3. the sweep through the batch runner (:func:`edgeopt_solve.experiments.sweep`) and a
   per-method summary table;
4. heuristic-to-optimal gap distributions and runtime scaling (log-log);
5. the formulation's own picture(s) (``PICTURES[name]`` in ``pictures.py``).

A formulation that lands later adds one :class:`Spec` to ``NOTEBOOKS`` (and, if it has a
picture beyond ``module.plot``, its cells to ``PICTURES`` in ``pictures.py``), runs this
script, and adds nothing to the tests: ``tests/test_notebooks.py`` executes every ``*.ipynb`` here.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@dataclass(frozen=True)
class Spec:
    """What varies between formulation notebooks."""

    name: str
    title: str
    intro: str
    methods: list[str]               # swept in the small run (exact method first)
    small_sizes: list[int]
    full_sizes: list[int]
    size_unit: str                   # what ``generate(size, seed)`` counts
    objective_unit: str              # for the summary table
    full_methods: list[str] = field(default_factory=list)  # added when EDGEOPT_FULL=1
    small_seeds: int = 2
    full_seeds: int = 10
    small_time_limit: float = 10.0
    full_time_limit: float = 60.0


HEAD = '''import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import formulations
from edgeopt_solve import registry
from edgeopt_solve.experiments import scale, sweep
from edgeopt_solve.plots import gap_distribution, runtime_scaling, status_counts

NAME = {name!r}
module = registry.get(NAME)
INSTANCES = Path(formulations.__file__).resolve().parents[1] / "instances" / NAME

# Small when the test suite executes this notebook; EDGEOPT_FULL=1 runs the full study.
FULL = os.environ.get("EDGEOPT_FULL") == "1"
SIZES = scale({small_sizes!r}, {full_sizes!r})  # {size_unit}
SEEDS = scale(range({small_seeds}), range({full_seeds}))
METHODS = {methods!r}{full_methods}
TIME_LIMIT = {full_time_limit!r} if FULL else {small_time_limit!r}  # seconds per run
# Set EDGEOPT_RESULTS=<dir> to keep the results file: a restarted sweep skips done runs.
RESULTS = (Path(os.environ["EDGEOPT_RESULTS"]) / f"{{NAME}}.csv"
           if os.environ.get("EDGEOPT_RESULTS") else None)
SIZE_LABEL = "instance size ({size_unit})"
OBJECTIVE_UNIT = {objective_unit!r}
'''

SWEEP = '''rows = sweep(NAME, SIZES, SEEDS, METHODS, time_limit=TIME_LIMIT, results=RESULTS)
rows = [r for r in rows if r["method"] in METHODS and r["size"] in SIZES and r["seed"] in SEEDS]
assert len(rows) == len(SIZES) * len(SEEDS) * len(METHODS), len(rows)
failed = [r for r in rows if r["error"]]
for r in failed:
    print(f"FAILED {r['instance']} {r['method']}: {r['error']}")
assert FULL or not failed, failed[:3]  # the full study reports failures and goes on
rows = [r for r in rows if not r["error"]]


def summary(rows, methods):
    """One line per method: runs, statuses, gap to the best bound (%), runtime (s)."""
    print(f"{'method':>16} {'runs':>5} {'median gap %':>13} {'max gap %':>10} "
          f"{'median s':>9}  statuses")
    counts = status_counts(rows)
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        gaps = [100 * r["gap_to_best"] for r in mine if r["gap_to_best"] is not None]
        times = [r["runtime"] for r in mine if r["runtime"] is not None]
        med = f"{np.median(gaps):13.3f}" if gaps else f"{'-':>13}"
        worst = f"{max(gaps):10.3f}" if gaps else f"{'-':>10}"
        print(f"{m:>16} {len(mine):5d} {med} {worst} {np.median(times):9.4f}  {counts.get(m, {})}")


print(f"{len(rows)} runs of {NAME}: sizes {SIZES}, seeds {list(SEEDS)}, "
      f"time limit {TIME_LIMIT} s; objective in {OBJECTIVE_UNIT}")
summary(rows, METHODS)
'''

PLOTS = '''fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.5))
gap_distribution(rows, ax1, methods=METHODS)
ax1.tick_params(axis="x", labelrotation=30)
runtime_scaling(rows, ax2)
ax2.set_xlabel(SIZE_LABEL)
ax2.xaxis.set_minor_locator(plt.NullLocator())
ax2.set_xticks(SIZES, [str(n) for n in SIZES])
fig.suptitle(f"{NAME}: {len(rows)} runs through the batch runner")
fig.tight_layout()
'''

SWEEP_MD = """## Heuristics against the optimum

Every row comes from the batch runner (`edgeopt_solve.batch`, one process per run, the
same code as `edgeopt-solve batch`). The gap of a run is measured against the best bound
known for its instance (a proven optimum when an exact method finished)."""

PLOTS_MD = """Left: gap to the best bound per method (box: quartiles, triangle: mean). Right: median
runtime against instance size, log-log; an exact method's curve bends up where its
worst case starts to show, a heuristic's stays flat or polynomial. Each run is timed in a
fresh process, so at the small default sizes a method's runtime is dominated by importing
its solver library (OR-Tools, HiGHS, Pyomo, CVXPY: up to a few seconds); the full-size
study shows the scaling itself."""


# ---------------------------------------------------------------------------------------
# The formulations' own pictures: list of (markdown, code) cells per notebook.
# ---------------------------------------------------------------------------------------

def _load_pictures() -> dict[str, list[tuple[str, str]]]:
    """``PICTURES`` from ``pictures.py`` beside this script (run as a script, not a package)."""
    spec = importlib.util.spec_from_file_location("notebook_pictures", HERE / "pictures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PICTURES


PICTURES = _load_pictures()


NOTEBOOKS: list[Spec] = [
    Spec("lavea", "LAVEA: offloaded video-analytics scheduling",
         "Tasks offloaded to edge servers (upload, then compute: a two-machine flow shop per "
         "server) or run locally. Exact CP-SAT against LAVEA's placement rules (STTF, SQLF, "
         "SSLF), the best dispatching rule and insertion local search.",
         ["cpsat", "sttf", "sqlf", "sslf", "dispatch", "local_search"],
         [4, 8, 12], [5, 10, 20, 40, 80], "tasks", "s", full_methods=["milp", "fifo", "local"]),
    Spec("partition", "DNN partitioning across device, edge and cloud",
         "Where each layer of a DNN runs. The exact layered min cut against Neurosurgeon's "
         "single split, JointDNN's shortest path, DADS heavy-load and Edgent.",
         ["mincut", "neurosurgeon", "jointdnn", "dads_heavy"],
         [6, 12, 24], [8, 16, 32, 64, 128, 256], "DNN layers",
         "s or J (the objective cycles with the seed)",
         full_methods=["milp", "dads", "edgent"]),
    Spec("fl_energy", "Energy-efficient federated learning (Yang et al. 2021)",
         "Bandwidth, power, CPU frequency and local accuracy of every device, to minimise "
         "total energy within a training deadline. Exact `fast` against the paper's "
         "baselines.",
         ["fast", "equal-bandwidth", "max-frequency", "fixed-eta"],
         [5, 10, 20], [10, 20, 50, 100, 200], "devices", "J", full_methods=["cvxpy"]),
    Spec("fl_fedl", "FEDL: energy against time in federated learning (Tran et al. 2019)",
         "CPU frequencies, TDMA upload slots and local accuracy minimising energy plus "
         "kappa times time. Exact closed forms (`fast`) against common baselines.",
         ["fast", "max-frequency", "max-power", "equal-time", "fixed-theta"],
         [5, 10, 20], [10, 50, 200, 1000], "devices", "J", full_methods=["cvxpy"]),
    Spec("fl_uplink", "One FL round over a TDMA or NOMA uplink (Mo & Xu 2021)",
         "CPU frequencies, the computation/upload split of the deadline and the upload "
         "slots (TDMA) or powers (NOMA with SIC) minimising the round's energy. Exact `fast` "
         "against the baselines.",
         ["fast", "equal-slots", "max-frequency", "fixed-split"],
         [5, 10, 20], [10, 50, 200, 1000], "devices", "J", full_methods=["cvxpy"]),
    Spec("fl_hierarchical", "Hierarchical FL: edge association and resources (HFEL, Luo et al. 2020)",
         "Which edge server each device joins, and its CPU frequency and bandwidth, "
         "minimising the sum of every edge server's weighted energy plus delay. Exact set "
         "partitioning against the paper's transfer/exchange search and baselines.",
         ["exact", "hfel", "hfel-merge", "greedy", "max-frequency", "uniform-bandwidth"],
         [4, 6], [4, 6, 8, 10], "devices", "weighted J + s", full_methods=["random"]),
    Spec("client_selection", "FL client selection: FedCS against the optimum",
         "Which clients fit in one federated-learning round before the deadline. The exact "
         "polynomial method and the MILP against the FedCS greedy (Nishio & Yonetani 2019).",
         ["exact", "fedcs", "milp", "greedy"],
         [10, 20, 40], [10, 20, 50, 100, 200, 500], "clients", "clients (or weight)",
         full_methods=["dp"]),
    Spec("uav_path", "UAV data-collection tours",
         "The UAV's tour over hovering points (energy of the rotary-wing model). Exact TSP "
         "MILP against ILS, nearest neighbour + 2-opt, ant colony and OR-Tools routing.",
         ["exact", "ils", "aco", "nn-2opt"],
         [6, 12, 24], [10, 20, 40, 80, 160], "hovering points", "J", full_methods=["routing"]),
    Spec("placement", "Edge data placement",
         "Which edge server caches each data block (a generalized assignment problem). "
         "Exact MILP against the regret greedy, tabu search, discrete PSO and MIP-based LNS.",
         ["milp", "greedy", "tabu", "dpso", "lns"],
         [6, 12, 24], [10, 20, 40, 80, 160], "data blocks", "s", full_methods=["cpsat"]),
]


def formulation_notebook(spec: Spec) -> nbf.NotebookNode:
    """The notebook of one formulation."""
    extra = f" + ([] if not FULL else {spec.full_methods!r})" if spec.full_methods else ""
    head = HEAD.format(name=spec.name, small_sizes=spec.small_sizes,
                       full_sizes=spec.full_sizes, size_unit=spec.size_unit,
                       small_seeds=spec.small_seeds, full_seeds=spec.full_seeds,
                       methods=spec.methods, full_methods=extra,
                       small_time_limit=spec.small_time_limit,
                       full_time_limit=spec.full_time_limit,
                       objective_unit=spec.objective_unit)
    intro = (f"# {spec.title}\n\n{spec.intro}\n\nThe test suite runs this notebook small "
             "(`tests/test_notebooks.py`); `EDGEOPT_FULL=1 jupyter nbconvert --execute "
             f"--to notebook notebooks/{spec.name}.ipynb` runs the full-size study. "
             "Generated by `notebooks/make_notebooks.py`; edit that, not this file.")
    cells = [nbf.v4.new_markdown_cell(intro), _code(head, parameters=True),
             nbf.v4.new_markdown_cell(SWEEP_MD), _code(SWEEP),
             nbf.v4.new_markdown_cell(PLOTS_MD), _code(PLOTS)]
    for md, code in PICTURES.get(spec.name, []):
        cells += [nbf.v4.new_markdown_cell(md), _code(code)]
    return _notebook(cells)


OVERVIEW_INTRO = """# Overview: every formulation, heuristics against the optimum

One small sweep per registered formulation (its default exact method and every
heuristic), through the batch runner, on the same sizes. A formulation that lands later
appears here without any change. `EDGEOPT_FULL=1` runs the full study."""

OVERVIEW_HEAD = '''import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from edgeopt_solve import registry
from edgeopt_solve.experiments import scale, sweep
from edgeopt_solve.plots import gap_distribution

FULL = os.environ.get("EDGEOPT_FULL") == "1"
NAMES = registry.names()
SIZES = scale([10], [8, 16, 32])  # generate(size, seed); size counts items of each model
SEEDS = scale(range(2), range(10))
TIME_LIMIT = 30.0 if FULL else 10.0  # seconds per run
# Set EDGEOPT_RESULTS=<dir> to keep the results files: a restarted sweep skips done runs.
RESULTS = Path(os.environ["EDGEOPT_RESULTS"]) if os.environ.get("EDGEOPT_RESULTS") else None


def methods_of(module):
    """The default (exact) method first, then every heuristic."""
    heuristics = [m for m, spec in module.METHODS.items() if not spec.exact]
    return [module.DEFAULT_METHOD, *[m for m in heuristics if m != module.DEFAULT_METHOD]]


PLAN = {name: methods_of(registry.get(name)) for name in NAMES}
for name, methods in PLAN.items():
    print(f"{name:>18}: {', '.join(methods)}")
'''

OVERVIEW_SWEEP = '''rows = {}
for name, methods in PLAN.items():
    results = RESULTS / f"overview-{name}.csv" if RESULTS else None
    rows[name] = [r for r in sweep(name, SIZES, SEEDS, methods, time_limit=TIME_LIMIT,
                                   results=results)
                  if r["method"] in methods and r["size"] in SIZES and r["seed"] in SEEDS]
    failed = [r for r in rows[name] if r["error"]]
    for r in failed:
        print(f"FAILED {r['instance']} {r['method']}: {r['error']}")
    assert FULL or not failed, failed[:3]  # the full study reports failures and goes on
    rows[name] = [r for r in rows[name] if not r["error"]]
print(f"{sum(map(len, rows.values()))} runs")
print(f"{'formulation':>18} {'method':>16} {'median gap %':>13} {'max gap %':>10} {'median s':>9}")
for name, methods in PLAN.items():
    for m in methods:
        mine = [r for r in rows[name] if r["method"] == m]
        gaps = [100 * r["gap_to_best"] for r in mine if r["gap_to_best"] is not None]
        t = np.median([r["runtime"] for r in mine if r["runtime"] is not None])
        g = (f"{np.median(gaps):13.3f} {max(gaps):10.3f}" if gaps else f"{'-':>13} {'-':>10}")
        print(f"{name:>18} {m:>16} {g} {t:9.4f}")
'''

OVERVIEW_GAPS = '''cols = 3
fig, axes = plt.subplots(-(-len(NAMES) // cols), cols, figsize=(15, 4.2 * -(-len(NAMES) // cols)),
                         squeeze=False)
for ax, name in zip(axes.flat, NAMES):
    gap_distribution(rows[name], ax, methods=PLAN[name])
    ax.set_title(name)
    ax.tick_params(axis="x", labelrotation=35, labelsize=8)
for ax in list(axes.flat)[len(NAMES):]:
    ax.set_visible(False)
fig.suptitle("Gap to the best bound per method")
fig.tight_layout()
'''

OVERVIEW_TRADEOFF = '''fig, ax = plt.subplots(figsize=(11, 6))
markers = "osD^v<>pP*hX"
for k, name in enumerate(NAMES):
    for m in PLAN[name]:
        mine = [r for r in rows[name] if r["method"] == m]
        gaps = [100 * r["gap_to_best"] for r in mine if r["gap_to_best"] is not None]
        times = [max(r["runtime"], 1e-6) for r in mine if r["runtime"] is not None]
        if not gaps or not times:
            continue
        x, y = float(np.median(times)), float(np.mean(gaps))
        ax.scatter(x, y, color=f"C{k}", marker=markers[k % len(markers)],
                   label=name if m == PLAN[name][0] else None)
        if y > 0.01:  # methods at the optimum are listed in the table above
            ax.annotate(m, (x, y), fontsize=7, textcoords="offset points", xytext=(4, 2))
ax.set_xscale("log")
ax.set_yscale("symlog", linthresh=0.1)
ax.set_ylim(bottom=-0.02)
ax.set_xlabel("median runtime (s)")
ax.set_ylabel("mean gap to the best bound (%, linear below 0.1)")
ax.set_title("Quality against time, every formulation and method")
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
'''


def overview_notebook() -> nbf.NotebookNode:
    """The overview notebook (every registered formulation)."""
    cells = [nbf.v4.new_markdown_cell(OVERVIEW_INTRO), _code(OVERVIEW_HEAD, parameters=True),
             nbf.v4.new_markdown_cell("## The sweeps"), _code(OVERVIEW_SWEEP),
             nbf.v4.new_markdown_cell("## Gap distributions"), _code(OVERVIEW_GAPS),
             nbf.v4.new_markdown_cell("## Quality against time\n\nOne point per method: median "
                                      "runtime against mean gap (exact methods sit at the "
                                      "bottom)."), _code(OVERVIEW_TRADEOFF)]
    return _notebook(cells)


def _code(source: str, *, parameters: bool = False) -> nbf.NotebookNode:
    cell = nbf.v4.new_code_cell(source.strip("\n"))
    if parameters:  # papermill-style: `papermill -p` can override these
        cell.metadata["tags"] = ["parameters"]
    return cell


def _notebook(cells: list[nbf.NotebookNode]) -> nbf.NotebookNode:
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    for i, cell in enumerate(nb.cells):  # stable ids: regenerating changes nothing
        cell["id"] = f"cell-{i}"
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build_all() -> dict[str, nbf.NotebookNode]:
    """Every notebook by file stem."""
    out = {spec.name: formulation_notebook(spec) for spec in NOTEBOOKS}
    out["overview"] = overview_notebook()
    return out


def main(argv: list[str]) -> int:
    notebooks = build_all()
    names = argv or list(notebooks)
    unknown = sorted(set(names) - set(notebooks))
    if unknown:
        sys.stderr.write(f"unknown notebook(s): {', '.join(unknown)}\n")
        return 2
    for name in names:
        nbf.write(notebooks[name], HERE / f"{name}.ipynb")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
