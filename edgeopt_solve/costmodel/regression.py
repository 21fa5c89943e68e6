"""Per-layer-type latency regression, so that layers never profiled can be predicted.

Following Neurosurgeon (Kang et al., ASPLOS 2017) and Edgent (Li et al., 2018), each layer
type gets its own linear model of latency in layer features:

    latency = c0 + c1·MACs + c2·input elements + c3·output elements + c4·parameter bytes
              + c5·im2col elements

restricted per type to the features that vary independently for it (``TYPE_FEATURES``)

(``im2col`` = MACs / output channels for convolutions, the size of ORT's im2col buffer,
which captures the poor efficiency of convolutions with few output channels; 0 otherwise)

fitted by non-negative least squares on *relative* residuals (each row divided by its
measured latency, so the fit minimises squared percentage error, which is what MAPE
reports; non-negative coefficients keep predictions monotone in size), or the log form
``ln latency = c0 + sum c_f ln(1 + f)`` — per type whichever cross-validates better. The training data
is a :func:`sweep` of generated single-layer configurations profiled with ONNX Runtime
(one ONNX model per type holding every configuration as an independent node, profiled
per node exactly like a real model). ``cv_mape`` is the k-fold cross-validated mean
absolute percentage error per type.

Layer types: ``conv``, ``dwconv``, ``fc``, ``pool``, ``bn``, ``add``, ``concat``,
``softmax``, ``lrn`` and ``elementwise`` (relu, dropout, flatten and other unary ops).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeopt_solve.costmodel.profile import Regression, TypeFit
from edgeopt_solve.system.dnn import DnnGraph, Layer

log = logging.getLogger(__name__)

FEATURES = ("const", "macs", "in_elems", "out_elems", "param_bytes", "im2col")
#: features each type's fit may use (the rest get coefficient 0): few samples per type,
#: so only the features that vary independently for that type
TYPE_FEATURES = {
    "conv": ("const", "macs", "out_elems", "im2col"),
    "dwconv": ("const", "macs", "in_elems", "out_elems"),
    "fc": ("const", "macs", "in_elems"),
    "pool": ("const", "in_elems", "out_elems"),
    "add": ("const", "in_elems", "out_elems"),
    "concat": ("const", "in_elems", "out_elems"),
}
DEFAULT_FEATURES = ("const", "in_elems")
TYPES = ("conv", "dwconv", "fc", "pool", "bn", "add", "concat", "softmax", "lrn",
         "elementwise")
F = 4


def layer_type(layer: Layer) -> str:
    """Regression type of a layer."""
    op = layer.op.lower()
    if op in ("conv", "dwconv"):
        g, cin = layer.attrs.get("groups", 1), layer.attrs.get("in_channels")
        return "dwconv" if op == "dwconv" or (g > 1 and g == cin) else "conv"
    if op in ("fc", "gemm", "matmul", "linear"):
        return "fc"
    if op in ("pool", "maxpool", "averagepool", "globalaveragepool", "globalmaxpool"):
        return "pool"
    if op in ("bn", "batchnormalization"):
        return "bn"
    if op in ("add", "sum"):
        return "add"
    if op in TYPES:
        return op
    return "elementwise"


def features(layer: Layer, graph: DnnGraph | None = None) -> dict[str, float]:
    """The regression features of ``layer`` (input elements from ``graph`` if given)."""
    out_elems = layer.output_bytes / F
    if graph is not None and layer.name in graph.index:
        i = graph.index[layer.name]
        preds = graph.predecessors[i]
        in_elems = (sum(graph.layers[p].output_bytes for p in preds) if preds
                    else graph.input_bytes) / F
    else:
        in_elems = float(layer.attrs.get("in_elems", out_elems))
    cout = layer.attrs.get("out_channels")
    im2col = (float(layer.macs) / cout if layer_type(layer) in ("conv", "dwconv")
              and isinstance(cout, int) and cout > 0 else 0.0)
    return {"const": 1.0, "macs": float(layer.macs), "in_elems": float(in_elems),
            "out_elems": float(out_elems), "param_bytes": float(layer.param_bytes),
            "im2col": im2col}


def _row(feats: dict[str, float], form: str) -> np.ndarray:
    x = np.array([feats.get(f, 0.0) for f in FEATURES], dtype=float)
    if form == "log":
        x = np.log1p(np.maximum(x, 0.0))
        x[0] = 1.0
    return x


def predict(fit: TypeFit, feats: dict[str, float]) -> float:
    """Latency (s) predicted by one type's fit."""
    x = _row(feats, fit.form)
    v = float(sum(fit.coef.get(f, 0.0) * xi for f, xi in zip(FEATURES, x, strict=True)))
    return math.exp(min(v, 50.0)) if fit.form == "log" else max(v, 0.0)


def fit_type(X: np.ndarray, y: np.ndarray, form: str = "linear") -> np.ndarray:
    """Coefficients of one form: ``linear`` = non-negative least squares on relative
    residuals; ``log`` = least squares of ln latency on ln(1 + features)."""
    from scipy.optimize import nnls

    if form == "log":
        Xl = np.log1p(np.maximum(X, 0.0))
        Xl[:, 0] = 1.0
        coef, *_ = np.linalg.lstsq(Xl, np.log(np.maximum(y, 1e-9)), rcond=None)
        return coef
    w = 1.0 / np.maximum(y, 1e-9)
    A = X * w[:, None]
    scale = np.maximum(np.abs(A).max(axis=0), 1e-30)
    coef, _ = nnls(A / scale, y * w)
    return coef / scale


def _apply(X: np.ndarray, coef: np.ndarray, form: str) -> np.ndarray:
    if form == "log":
        Xl = np.log1p(np.maximum(X, 0.0))
        Xl[:, 0] = 1.0
        return np.exp(np.minimum(Xl @ coef, 50.0))
    return np.maximum(X @ coef, 0.0)


def cv_mape(X: np.ndarray, y: np.ndarray, folds: int, seed: int = 0,
            form: str = "linear") -> float:
    """k-fold cross-validated mean absolute percentage error."""
    n = len(y)
    k = min(folds, n)
    if k < 2:
        return float("nan")
    idx = np.random.default_rng(seed).permutation(n)
    errs = []
    for f in range(k):
        test = idx[f::k]
        train = np.setdiff1d(idx, test)
        if len(train) == 0:
            continue
        pred = _apply(X[test], fit_type(X[train], y[train], form), form)
        errs.extend(np.abs(pred - y[test]) / np.maximum(y[test], 1e-9))
    return float(np.mean(errs))


def fit(samples: dict[str, list[tuple[dict[str, float], float]]], folds: int = 5
        ) -> Regression:
    """Fit every type from ``(features, latency)`` samples; per type the form (linear or
    log) with the lower cross-validated MAPE is kept (the log form needs >= 8 samples)."""
    types = {}
    for t, rows in samples.items():
        if len(rows) < 2:
            continue
        use = TYPE_FEATURES.get(t, DEFAULT_FEATURES)
        X = np.array([[r[0][f] if f in use else 0.0 for f in FEATURES] for r in rows])
        y = np.array([r[1] for r in rows])
        best: tuple[float, str] | None = None
        for form in ("linear", "log") if len(rows) >= 8 else ("linear",):
            m = cv_mape(X, y, folds, form=form)
            m = 0.0 if math.isnan(m) else m
            if best is None or m < best[0]:
                best = (m, form)
        assert best is not None
        coef = fit_type(X, y, best[1])
        types[t] = TypeFit(form=best[1],  # type: ignore[arg-type]
                           coef={f: float(c) for f, c in zip(FEATURES, coef, strict=True)},
                           samples=len(rows), cv_mape=best[0])
    return Regression(features=list(FEATURES), folds=folds, types=types)


# ---------------------------------------------------------------- sweep generation

@dataclass(frozen=True)
class SweepLayer:
    """One generated configuration: its layer description and its input shapes."""

    layer: Layer
    in_shapes: tuple[tuple[int, ...], ...]


def _conv_cfg(name: str, cin: int, cout: int, hw: int, k: int, s: int, groups: int
              ) -> SweepLayer:
    p = k // 2
    ho = (hw + 2 * p - k) // s + 1
    macs = float(cout * ho * ho * (cin // groups) * k * k)
    attrs = {"out_shape": [cout, ho, ho], "kernel": k, "stride": s, "pad": p, "groups": groups,
             "in_channels": cin, "out_channels": cout, "bias": True}
    op = "dwconv" if groups == cin and groups > 1 else "conv"
    lay = Layer(name, op, macs, float((cout * cin // groups * k * k + cout) * F),
                float(cout * ho * ho * F), (), {**attrs, "in_elems": cin * hw * hw})
    return SweepLayer(lay, ((cin, hw, hw),))


def _same(name: str, op: str, shape: tuple[int, ...], n_in: int = 1, **attrs: Any
          ) -> SweepLayer:
    elems = math.prod(shape)
    out = shape
    if op == "concat":
        out = (shape[0] * n_in, *shape[1:])
    lay = Layer(name, op, 0.0, 0.0,
                float(math.prod(out) * F), (),
                {"out_shape": list(out), "in_elems": elems * n_in, **attrs})
    return SweepLayer(lay, tuple(shape for _ in range(n_in)))


def sweep_configs(per_type: int = 12, seed: int = 0, scale: float = 1.0
                  ) -> dict[str, list[SweepLayer]]:
    """Generated layer configurations per type (deterministic).

    Parameters
    ----------
    per_type
        Configurations per type (>= 3).
    seed
        Random seed.
    scale
        Multiplies spatial sizes (``< 1`` for a quick sweep).
    """
    rng = np.random.default_rng(seed)
    ch = [8, 16, 32, 64, 96, 128, 192, 256, 384, 512]
    out: dict[str, list[SweepLayer]] = {t: [] for t in TYPES}

    def hw_pick(lo: int, hi: int) -> int:
        return max(2, round(rng.integers(lo, hi + 1) * scale))

    for i in range(per_type):
        cin, cout = int(rng.choice(ch)), int(rng.choice(ch))
        k = int(rng.choice([1, 3, 3, 5]))
        s = int(rng.choice([1, 1, 2]))
        hw = hw_pick(7, 56) if cin * cout <= 128 * 128 else hw_pick(7, 28)
        out["conv"].append(_conv_cfg(f"conv{i}", cin, cout, hw, k, s, 1))
        c = int(rng.choice(ch))
        out["dwconv"].append(_conv_cfg(f"dw{i}", c, c, hw_pick(7, 112), 3, int(rng.choice([1, 2])),
                                       c))
        fin, fout = int(rng.choice([256, 512, 1024, 2048, 4096, 9216])), \
            int(rng.choice([10, 100, 1000, 4096]))
        out["fc"].append(SweepLayer(
            Layer(f"fc{i}", "fc", float(fin * fout), float((fin * fout + fout) * F),
                  float(fout * F), (), {"out_shape": [fout], "in_features": fin,
                                        "out_features": fout, "in_elems": fin}), ((fin,),)))
        shape = (int(rng.choice(ch)), hw_pick(7, 112), 0)
        shape = (shape[0], shape[1], shape[1])
        kp, sp = int(rng.choice([2, 3])), 2
        ho = (shape[1] - kp) // sp + 1
        if ho >= 1:
            kind = str(rng.choice(["max", "avg"]))
            out["pool"].append(SweepLayer(
                Layer(f"pool{i}", "pool", 0.0, 0.0,
                      float(shape[0] * ho * ho * F), (),
                      {"out_shape": [shape[0], ho, ho], "kind": kind, "kernel": kp,
                       "stride": sp, "pad": 0, "in_elems": math.prod(shape)}), (shape,)))
        for t, n_in in (("bn", 1), ("add", 2), ("concat", 2), ("elementwise", 1), ("lrn", 1)):
            c2 = int(rng.choice(ch))
            shp = (c2, hw_pick(7, 56), 0)
            shp = (shp[0], shp[1], shp[1])
            op = {"elementwise": "relu"}.get(t, t)
            out[t].append(_same(f"{t}{i}", op, shp, n_in))
        out["softmax"].append(_same(f"softmax{i}", "softmax",
                                    (int(rng.choice([10, 100, 1000, 10000])),)))
    return out


def sweep_model(configs: list[SweepLayer], seed: int = 0) -> tuple[Any, dict[str, np.ndarray]]:
    """One ONNX model holding every configuration as an independent node, and its feeds."""
    from onnx import TensorProto, checker, helper

    from edgeopt_solve.costmodel.onnx_build import IR_VERSION, OPSET, _Builder, _emit

    b = _Builder(seed)
    rng = np.random.default_rng(seed + 1)
    inputs, outputs, feeds = [], [], {}
    for cfg in configs:
        srcs = []
        for j, shp in enumerate(cfg.in_shapes):
            nm = f"{cfg.layer.name}__in{j}"
            srcs.append(nm)
            inputs.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, [1, *shp]))
            feeds[nm] = rng.standard_normal((1, *shp), dtype=np.float32)
        shape = _emit(b, cfg.layer, srcs, list(cfg.in_shapes))
        outputs.append(helper.make_tensor_value_info(cfg.layer.name, TensorProto.FLOAT,
                                                     [1, *shape]))
    g = helper.make_graph(b.nodes, "sweep", inputs, outputs, initializer=b.inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    checker.check_model(model)
    return model, feeds


def sweep(*, threads: int = 1, runs: int = 5, warmup: int = 1, per_type: int = 12,
          seed: int = 0, scale: float = 1.0, folds: int = 5,
          progress: Callable[[str, int, int], None] | None = None) -> Regression:
    """Profile a sweep of generated layers and fit the per-type regression.

    Parameters
    ----------
    threads, runs, warmup
        As for :func:`~edgeopt_solve.costmodel.profiler.profile_model`.
    per_type, seed, scale
        See :func:`sweep_configs`.
    folds
        Cross-validation folds.
    progress
        ``progress(type, done, total)`` after each type.
    """
    from edgeopt_solve.costmodel.profiler import layer_of, node_times

    configs = sweep_configs(per_type, seed, scale)
    samples: dict[str, list[tuple[dict[str, float], float]]] = {}
    for done, (t, cfgs) in enumerate(configs.items(), start=1):
        if not cfgs:
            continue
        model, feeds = sweep_model(cfgs, seed)
        times = node_times(model, feeds, threads=threads, runs=runs, warmup=warmup)
        names = {c.layer.name for c in cfgs}
        per_layer: dict[str, float] = {}
        for node, vals in times.items():
            lay = layer_of(node, names)
            if lay is not None:
                per_layer[lay] = per_layer.get(lay, 0.0) + float(np.median(vals))
        samples[t] = [(features(c.layer), per_layer[c.layer.name]) for c in cfgs
                      if per_layer.get(c.layer.name, 0.0) > 0]
        if progress:
            progress(f"sweep {t}", done, len(configs))
    return fit(samples, folds)


def predict_layer(reg: Regression, layer: Layer, graph: DnnGraph | None = None) -> float | None:
    """Latency of ``layer`` from the regression, or None if its type was not fitted."""
    t = layer_type(layer)
    fit_ = reg.types.get(t) or (reg.types.get("elementwise") if t not in TYPES else None)
    if fit_ is None:
        return None
    return predict(fit_, features(layer, graph))
