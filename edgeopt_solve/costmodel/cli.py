"""``edgeopt-solve profile`` and ``edgeopt-solve validate`` (the measured cost model).

Nothing heavy is imported at module level (``edgeopt-solve list`` imports this module):
onnx and onnxruntime are imported inside the commands. Bad input prints one line naming
the file and field and exits 2.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from edgeopt_solve.exceptions import InvalidInstanceError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2


def _fail(exc: InvalidInstanceError | str) -> typer.Exit:
    text = exc.one_line() if isinstance(exc, InvalidInstanceError) else str(exc)
    err.print(f"error: {text}", markup=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _need_onnx() -> None:
    """Exit 1 with an install hint when onnx / onnxruntime are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        err.print(f"error: {exc.name} is not installed; install the profile extra: "
                  "pip install 'edgeopt[profile]'", markup=False)
        raise typer.Exit(1) from None


def _floats(text: str | None, n: int, field: str, *, minimum: float) -> list[float] | None:
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInstanceError(f"must be comma-separated numbers, got {text!r}",
                                   field=field) from None
    if len(vals) == 1:
        vals = vals * n
    if len(vals) != n or any(not v >= minimum for v in vals):
        raise InvalidInstanceError(f"needs {n} values >= {minimum:g}, got {text!r}", field=field)
    return vals


def load_model(spec: str) -> tuple[Any, Any, str]:
    """``(onnx model, DnnGraph, source)`` for a zoo name or an ``.onnx`` file.

    A zoo model is built with :func:`~edgeopt_solve.costmodel.onnx_build.build_onnx`; a
    file is read, checked and turned into a graph with one layer per node.
    """
    from edgeopt_solve.costmodel.onnx_build import build_onnx, graph_from_onnx, load_onnx
    from edgeopt_solve.system import zoo

    path = Path(spec)
    if path.suffix.lower() == ".onnx" or path.exists():
        model = load_onnx(path)
        return model, graph_from_onnx(model, path.stem), str(path)
    key = spec.lower().replace("-", "").replace("_", "")
    if key not in zoo.NAMES:
        raise InvalidInstanceError(f"neither a zoo model ({', '.join(zoo.NAMES)}) nor an "
                                   "existing .onnx file", field="MODEL", source=spec)
    graph = zoo.load(key)
    return build_onnx(graph), graph, f"zoo:{key}"


def profile_cmd(
    model: Annotated[str, typer.Argument(help="Zoo model name or an .onnx file.")],
    threads: Annotated[int, typer.Option("--threads", help="ONNX Runtime intra-op threads.")] = 1,
    runs: Annotated[int, typer.Option("--runs", help="Timed runs (median and spread).")] = 10,
    warmup: Annotated[int, typer.Option("--warmup", help="Discarded warm-up runs.")] = 2,
    out_path: Annotated[Path | None, typer.Option("--out", help="Profile JSON to write.")] = None,
    sweep: Annotated[bool, typer.Option(
        "--sweep", help="Also profile generated layers and fit the per-type regression.")] = False,
    sweep_size: Annotated[int, typer.Option(
        "--sweep-size", help="Generated configurations per layer type.")] = 16,
    seed: Annotated[int, typer.Option("--seed", help="Seed of weights, inputs, sweep.")] = 0,
    segments: Annotated[int, typer.Option(
        "--segments", help="Also time the prefix/suffix/middle sub-models of at most this many "
        "single-tensor cut points with optimisations off and on (fusion per segment; 0 = "
        "none).")] = 6,
) -> None:
    """Profile MODEL per layer with ONNX Runtime and write a device profile."""
    _need_onnx()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edgeopt_solve.costmodel.link import measure_serialisation
    from edgeopt_solve.costmodel.profile import save_profile
    from edgeopt_solve.costmodel.profiler import profile_model
    from edgeopt_solve.costmodel.regression import sweep as run_sweep

    try:
        if threads < 1:
            raise InvalidInstanceError(f"must be >= 1, got {threads}", field="--threads")
        if runs < 1:
            raise InvalidInstanceError(f"must be >= 1, got {runs}", field="--runs")
        if warmup < 0:
            raise InvalidInstanceError(f"must be >= 0, got {warmup}", field="--warmup")
        if segments < 0:
            raise InvalidInstanceError(f"must be >= 0, got {segments}", field="--segments")
        if sweep_size < 3:
            raise InvalidInstanceError(f"must be >= 3, got {sweep_size}", field="--sweep-size")
        proto, graph, source = load_model(model)
    except InvalidInstanceError as exc:
        raise _fail(exc) from None
    dest = out_path or Path(f"{graph.name}.profile.json")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        task = bar.add_task(f"profiling {graph.name}", total=1.0)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"{graph.name}: {what}", completed=done / total)

        prof = profile_model(proto, graph, threads=threads, runs=runs, warmup=warmup, seed=seed,
                             source=source, progress=step, segments=segments)
        ser = measure_serialisation()
        prof = prof.model_copy(update={"serialisation": ser})
        if sweep:
            task2 = bar.add_task("layer sweep", total=1.0)

            def step2(what: str, done: int, total: int) -> None:
                bar.update(task2, description=what, completed=done / total)

            reg = run_sweep(threads=threads, runs=max(3, runs // 2), warmup=1,
                            per_type=sweep_size, seed=seed, progress=step2)
            prof = prof.model_copy(update={"regression": reg})
    save_profile(prof, dest)
    _print_profile(prof, dest)


def _print_profile(prof: Any, dest: Path) -> None:
    w = prof.whole_model
    out.print(f"{prof.model.name}: {len(prof.layers)} layers profiled on {prof.machine.cpu_model} "
              f"({prof.machine.physical_cores} cores), ORT {prof.runtime.onnxruntime}, "
              f"{prof.runtime.threads} thread(s), {prof.runtime.runs} runs")
    if w is not None:
        out.print(f"whole model: {w.unoptimised.median * 1e3:.3f} ms without optimisation, "
                  f"{w.optimised.median * 1e3:.3f} ms with (fusion ratio {w.fusion_ratio:.2f}); "
                  f"sum of layers {w.sum_of_layers * 1e3:.3f} ms")
    if prof.segments:
        t = Table(title="segments: one session call, optimisations off vs on (CPU time)")
        for col in ("kind", "layers", "first .. last", "off ms", "on ms", "fusion gain %"):
            t.add_column(col, justify="left" if col in ("kind", "first .. last") else "right")
        for sg in prof.segments:
            off = (sg.unoptimised_cpu or sg.unoptimised).median
            on = (sg.optimised_cpu or sg.optimised).median
            t.add_row(sg.kind, f"{sg.start}..{sg.stop - 1}", f"{sg.first} .. {sg.last}",
                      f"{off * 1e3:.3f}", f"{on * 1e3:.3f}", f"{100 * (1 - sg.fusion_ratio):.1f}")
        out.print(t)
    if prof.energy is not None:
        en = prof.energy
        out.print("energy: measured by RAPL, " + f"{en.joules_per_run:.4g} J per run"
                  if en.measured and en.joules_per_run is not None else
                  f"energy: not measured ({en.reason or 'no RAPL'})")
    if prof.regression is not None:
        t = Table(title="regression (cross-validated MAPE)")
        for col in ("type", "form", "samples", "CV MAPE %"):
            t.add_column(col)
        for name, f in prof.regression.types.items():
            t.add_row(name, f.form, str(f.samples), f"{100 * f.cv_mape:.1f}")
        out.print(t)
    out.print(f"wrote {dest}")


def validate_cmd(
    instance: Annotated[str, typer.Argument(help="Partition instance file.")],
    solution: Annotated[str | None, typer.Argument(
        help="Its solution file (a plan); or give --cut instead.")] = None,
    cut: Annotated[str | None, typer.Option(
        "--cut", help="Instead of a solution file: a two-tier plan cutting these tensors "
        "(comma-separated ONNX tensor or layer names): they and everything they depend on "
        "run on the input's tier, the rest on the next.")] = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", help="Device profile of this machine (measured now if omitted).")] = None,
    runs: Annotated[int, typer.Option("--runs", help="Timed end-to-end runs.")] = 10,
    warmup: Annotated[int, typer.Option("--warmup", help="Discarded warm-up runs.")] = 2,
    threads: Annotated[str | None, typer.Option(
        "--threads", help="ORT threads per tier, e.g. 1,1 (default 1).")] = None,
    slowdown: Annotated[str | None, typer.Option(
        "--slowdown", help="Latency multiplier per tier, e.g. 3,1 (default: from the "
        "instance's tier costs, fastest tier = 1).")] = None,
    emulation: Annotated[str, typer.Option(
        "--emulation", help="How a slower tier is emulated: auto (a cgroup CPU quota where the "
        "machine allows it, else CPU-time padding), quota or padding.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Execute a partition plan for real (one process per tier, shaped loopback TCP) and
    print predicted vs measured latency per stage."""
    _need_onnx()
    from edgeopt_solve import io
    from edgeopt_solve.costmodel.experiment import return_route, run_plan, tier_slowdowns
    from edgeopt_solve.costmodel.profile import load_profile

    try:
        if runs < 1:
            raise InvalidInstanceError(f"must be >= 1, got {runs}", field="--runs")
        if warmup < 0:
            raise InvalidInstanceError(f"must be >= 0, got {warmup}", field="--warmup")
        if emulation not in ("auto", "quota", "padding"):
            raise InvalidInstanceError(f"must be auto, quota or padding, got {emulation!r}",
                                       field="--emulation")
        loaded = io.load(instance)
        if loaded.formulation != "partition":
            raise InvalidInstanceError(f"validate needs a partition instance, got "
                                       f"{loaded.formulation!r}", field="formulation",
                                       source=instance)
        if (solution is None) == (cut is None):
            raise InvalidInstanceError("give a solution file or --cut (one of them)",
                                       field="SOLUTION")
        inst = loaded.instance
        k = len(inst.tiers)
        model, flow, model_file = _plan_model(instance, inst)
        if solution is not None:
            plan = list(io.load_solution(solution, loaded).tiers)
        else:
            plan = _cut_plan(inst, model if flow is not None else None, cut or "")
        try:
            from edgeopt_solve.costmodel.validate import check_plan

            check_plan(inst.graph, plan, k, inst.input_tier)
        except InvalidInstanceError as exc:
            raise exc.located(source=solution) from None
        thr = _floats(threads, k, "--threads", minimum=1)
        slow = _floats(slowdown, k, "--slowdown", minimum=1) or tier_slowdowns(inst)
        prof = load_profile(profile) if profile is not None else None
        if prof is not None:
            from edgeopt_solve.costmodel.measured import MeasuredCostModel

            try:
                MeasuredCostModel(prof, inst.graph)  # another model / missing layers
            except InvalidInstanceError as exc:
                raise exc.located(source=str(profile)) from None
    except InvalidInstanceError as exc:
        raise _fail(exc) from None
    last = max(plan)
    back = return_route(inst, last)
    direct = [(d.src, d.dst, d.bandwidth, d.rtt) for d in inst.direct_links]
    if any(s > d for s, d, _, _ in direct) and back is None:
        err.print("note: backward direct links are only used to return a result")
    if model_file is not None:
        err.print(f"note: model {model_file} (the instance's ONNX file)")
    if inst.input_tier:
        err.print(f"note: the input starts on tier {inst.input_tier}: its process generates it")
    if back is not None:
        err.print(f"note: the result returns from tier {last} to tier 0 at {back[0] / 1e6:g} "
                  f"Mbit/s, RTT {back[1] * 1e3:g} ms (the instance's route back)")
    try:
        report = run_plan(model, inst.graph, plan,
                                [(lk.bandwidth, lk.rtt) for lk in inst.links], flow=flow,
                                input_tier=inst.input_tier, profile=prof,
                                threads=[int(t) for t in thr] if thr else 1, slowdown=slow,
                                runs=runs, warmup=warmup, return_link=back,
                                emulation=emulation, direct_links=direct)
    except InvalidInstanceError as exc:  # --emulation quota where no quota is possible
        raise _fail(exc) from None
    if as_json:
        out.print_json(json.dumps(report))
    else:
        _print_report(report)
    raise typer.Exit(0 if report["outputs_match"] else 1)


def _onnx_ref(instance: str) -> str | None:
    """The ``{"onnx": path}`` an instance file's model names (the file itself for an
    ``.onnx`` instance), else None."""
    if Path(instance).suffix.lower() == ".onnx":
        return instance
    try:
        model = json.loads(Path(instance).read_text(encoding="utf-8"))["data"]["model"]
    except (OSError, ValueError, KeyError, TypeError):  # io.load read it: not JSON here
        return None
    return model["onnx"] if isinstance(model, dict) and isinstance(model.get("onnx"), str) \
        else None


def _plan_model(instance: str, inst: Any) -> tuple[Any, Any, str | None]:
    """``(ONNX model to split, its tensor flow or None, the user's file or None)``.

    A zoo or inline model is built (:func:`~edgeopt_solve.costmodel.onnx_build.build_onnx`).
    A ``{"onnx": path}`` model is the user's file: the path as the partition formulation
    reads it (working directory), else resolved like other paths in an instance file
    (:func:`edgeopt_solve.paths.resolve`: next to the instance first); the file must give
    the instance's graph again (``read_onnx``), and its nodes are matched to the layers
    (:func:`~edgeopt_solve.costmodel.flow.onnx_flow`).
    """
    from edgeopt_solve.costmodel.flow import onnx_flow
    from edgeopt_solve.costmodel.onnx_build import build_onnx
    from edgeopt_solve.paths import instance_directory, resolve
    from edgeopt_solve.system.onnx_import import read_onnx

    ref = _onnx_ref(instance)
    if ref is None:
        try:
            return build_onnx(inst.graph), None, None
        except InvalidInstanceError as exc:
            raise exc.located(source=instance, prefix="data.model") from None
    import onnx

    with instance_directory(Path(instance).parent):
        candidates = list(dict.fromkeys([Path(ref), resolve(ref)]))
    field = "data.model.onnx" if ref != instance else None
    seen = False
    for path in candidates:
        if not path.is_file():
            continue
        seen = True
        try:
            if read_onnx(path) != inst.graph:
                continue
            model = onnx.load_model_from_string(path.read_bytes())
        except InvalidInstanceError:
            continue
        try:
            proto, flow = onnx_flow(model, inst.graph)
        except InvalidInstanceError as exc:
            raise exc.located(source=str(path)) from None
        return proto, flow, str(path)
    why = "does not give the instance's model (changed since?)" if seen else "not found"
    raise InvalidInstanceError(f"ONNX file {ref!r}: {why}", field=field, source=instance)


def _cut_plan(inst: Any, proto: Any, text: str) -> list[int]:
    """The two-tier plan ``--cut`` names (tiers ``input_tier`` and ``input_tier + 1``).

    A name is an ONNX tensor of ``proto`` (a user's file) or a layer; one that is neither
    is an error naming it.
    """
    from edgeopt_solve.costmodel.validate import plan_from_cut
    from edgeopt_solve.system.onnx_import import layer_nodes

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InvalidInstanceError("names no tensor", field="--cut")
    tensor_layer: dict[str, str] = {}
    if proto is not None:
        for layer, node in layer_nodes(proto.graph):
            for t in node.output:
                tensor_layer.setdefault(t, layer)
    t0 = inst.input_tier
    if t0 + 1 >= len(inst.tiers):
        raise InvalidInstanceError(f"a cut needs a tier after the input's tier {t0}",
                                   field="--cut")
    layers = []
    for i, name in enumerate(names):
        layer = name if name in inst.graph.index else tensor_layer.get(name)
        if layer is None:
            raise InvalidInstanceError(
                f"cut tensor {name!r} does not exist in model {inst.graph.name!r} (neither a "
                f"tensor of its ONNX file nor a layer)" if proto is not None else
                f"cut tensor {name!r} does not exist in model {inst.graph.name!r}",
                field=f"--cut[{i}]")
        layers.append(layer)
    return [t0 + t for t in plan_from_cut(inst.graph, layers)]


def _print_report(rep: dict[str, Any]) -> None:
    t = Table(title=f"plan on {rep['model']}: predicted vs measured (median of {rep['runs']} runs)")
    for col in ("stage", "predicted ms", "measured ms", "error %"):
        t.add_column(col, justify="right" if col != "stage" else "left")
    for row in rep["stages"]:
        err_pct = "" if row["measured"] <= 0 else \
            f"{100 * (row['predicted'] - row['measured']) / row['measured']:+.1f}"
        t.add_row(row["stage"], f"{1e3 * row['predicted']:.3f}", f"{1e3 * row['measured']:.3f}",
                  err_pct)
    t.add_row("end-to-end", f"{1e3 * rep['predicted']:.3f}", f"{1e3 * rep['measured']:.3f}",
              f"{100 * rep['error']:+.1f}")
    out.print(t)
    out.print(f"wall-clock end-to-end on this machine: {1e3 * rep['measured_wall']:.3f} ms "
              "(measured column: dedicated-CPU compute + real transfers)")
    out.print(f"outputs equal the unsplit model's: {rep['outputs_match']} "
              f"(max |diff| {rep['max_abs_diff']:.2e})")
    out.print(f"slower device emulated by {rep['emulation_mode']}: {rep['emulation']}")
    src = {r["predicted_from"] for r in rep["stages"] if r.get("predicted_from", "-") != "-"}
    out.print(f"compute predicted from: {', '.join(sorted(src))}; result returned to the "
              f"device: {'yes' if rep['return_result'] else 'no'}")


def register(app: typer.Typer) -> None:
    """Add the ``profile`` and ``validate`` commands to ``app``."""
    app.command("profile")(profile_cmd)
    app.command("validate")(validate_cmd)
