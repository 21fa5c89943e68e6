"""A :class:`~edgeopt_solve.system.costmodel.CostModel` built from a measured profile.

Latency of a layer: its measured median where the profile has it (the fusion-aware
``optimised`` share by default, since deployed sessions run with graph optimisations on;
the attribution median with ``optimised=False``), otherwise the per-type regression of the
profile (times the profile's whole-model fusion ratio when ``optimised``), with a logged
warning naming the layer. Everything is multiplied by ``slowdown`` (to model a device k
times slower than the profiling machine).

Clock: with ``clock="cpu"`` (default, when the profile has CPU times) the per-layer times
are scaled so that they add up to the whole model's median *CPU* time (optimised or not,
as chosen): ORT's per-node times are wall-clock and, on a machine shared with other work,
include waiting for the CPU; the per-node medians give each layer's share, the CPU time
the total a dedicated CPU needs. ``clock="wall"`` uses the raw wall-clock medians.

Segments: where the profile has per-segment timings
(:mod:`~edgeopt_solve.costmodel.segments`) and a plan's stage is exactly a profiled
segment, :meth:`MeasuredCostModel.segment_latency` uses that measured, fused latency
instead of the per-layer sum.

Energy: power x time (the Neurosurgeon / LEO style): ``PowerModel.compute`` while
computing, ``tx``/``rx`` while sending/receiving, ``idle`` while waiting. Where the
profile carries measured RAPL energy (``energy.source == "rapl"``) and no power model is
given, the measured average package power is the compute power; otherwise energy is
modelled from the given powers (:attr:`MeasuredCostModel.energy_source` says which).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from edgeopt_solve.costmodel.onnx_build import graph_hash
from edgeopt_solve.costmodel.profile import Profile, SegmentStat
from edgeopt_solve.costmodel.regression import predict_layer
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph, Layer
from edgeopt_solve.system.validation import nonnegative, positive

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PowerModel:
    """Powers of one node, W: computing, idle, transmitting, receiving."""

    compute: float = 0.0
    idle: float = 0.0
    tx: float = 0.0
    rx: float = 0.0

    def __post_init__(self) -> None:
        for f in ("compute", "idle", "tx", "rx"):
            nonnegative(f"power.{f}", getattr(self, f))


class MeasuredCostModel:
    """Per-layer latency and energy from a :class:`Profile`.

    Parameters
    ----------
    profile
        A device profile (per-layer measurements and/or a regression).
    graph
        The model the layers belong to; checked against the profile (another model is an
        error; layers the profile lacks fall back to the regression, with a warning), and
        used for the regression's input sizes.
    power
        The device's power model.
    optimised
        Use the fusion-aware per-layer times (default) or the attribution medians.
    slowdown
        Latency multiplier (> 0) for a device slower (> 1) or faster than the profiler.

    Raises
    ------
    InvalidInstanceError
        If the profile is for another model, or layers are missing and the profile has no
        regression to fall back on.
    """

    def __init__(self, profile: Profile, graph: DnnGraph | None = None, *,
                 power: PowerModel | None = None, optimised: bool = True,
                 slowdown: float = 1.0, clock: str = "cpu") -> None:
        positive("slowdown", slowdown)
        if clock not in ("cpu", "wall"):
            raise InvalidInstanceError(f"clock must be 'cpu' or 'wall', got {clock!r}",
                                       field="clock")
        self.profile = profile
        self.graph = graph
        self.optimised = optimised
        self.slowdown = float(slowdown)
        if power is None:
            en = profile.energy
            avg = en.average_power if en is not None and en.measured else None
            if avg is None:
                log.info("the profile has no measured energy (%s): energy is power x time "
                         "with a zero compute power unless a PowerModel is given",
                         en.reason if en is not None and en.reason else "no RAPL")
            power = PowerModel(compute=avg or 0.0)
        self.power = power
        self._warned: set[str] = set()
        self.fallback: tuple[str, ...] = ()
        self.clock = clock
        self.scale = self._scale(clock)
        self._segments: dict[tuple[int, int], SegmentStat] = {}
        if graph is not None:
            self.fallback = self._check(graph)
            if profile.segments and profile.model is not None \
                    and profile.model.hash == graph_hash(graph):
                self._segments = {(sg.start, sg.stop): sg for sg in profile.segments}

    def _scale(self, clock: str) -> float:
        whole = self.profile.whole_model
        if clock == "wall" or whole is None:
            return 1.0
        cpu = whole.optimised_cpu if self.optimised else whole.unoptimised_cpu
        if cpu is None:
            return 1.0
        if self.optimised:
            total = sum(s.optimised or 0.0 for s in self.profile.layers.values())
        else:
            total = sum(s.median for s in self.profile.layers.values())
        return cpu.median / total if total > 0 else 1.0

    def _check(self, graph: DnnGraph) -> tuple[str, ...]:
        prof = self.profile
        if prof.model is not None and prof.layers:
            same = prof.model.hash == graph_hash(graph)
            if prof.model.name != graph.name and not same:
                raise InvalidInstanceError(
                    f"the profile is for model {prof.model.name!r}, not {graph.name!r}",
                    field="model.name")
            if not same:
                log.warning("profile of %r was taken on a different version of the model "
                            "(hash %s, graph %s): only layers of the same name and op are used",
                            prof.model.name, prof.model.hash, graph_hash(graph))
        missing = tuple(layer.name for layer in graph.layers if not self._measured(layer))
        if missing and prof.regression is None:
            raise InvalidInstanceError(
                f"{len(missing)} layers are not in the profile (first: {missing[0]!r}) and "
                "the profile has no regression to predict them; run `profile --sweep`",
                field="layers")
        if missing:
            log.warning("%d of %d layers of %r are not in the profile; predicting them with "
                        "the regression: %s", len(missing), len(graph.layers), graph.name,
                        ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""))
            self._warned.update(missing)
        return missing

    def _measured(self, layer: Layer) -> bool:
        stat = self.profile.layers.get(layer.name)
        return stat is not None and stat.op == layer.op

    def base_latency(self, layer: Layer) -> float:
        """Latency on the profiling machine (without ``slowdown``), s."""
        stat = self.profile.layers.get(layer.name)
        if stat is not None and stat.op == layer.op:
            if self.optimised and stat.optimised is not None:
                return self.scale * stat.optimised
            return self.scale * stat.median
        reg = self.profile.regression
        value = predict_layer(reg, layer, self.graph) if reg is not None else None
        if value is None:
            raise InvalidInstanceError(
                f"layer {layer.name!r} ({layer.op}) is not in the profile and the profile has "
                "no regression for it; run `profile --sweep`", field=f"layers[{layer.name}]")
        if layer.name not in self._warned:
            self._warned.add(layer.name)
            log.warning("layer %r is not in the profile: latency from the %s regression",
                        layer.name, layer.op)
        whole = self.profile.whole_model
        if self.optimised and whole is not None:
            value *= min(whole.fusion_ratio, 1.0)
        return self.scale * value

    def layer_latency(self, layer: Layer) -> float:
        """Seconds to run ``layer`` on the device."""
        return self.slowdown * self.base_latency(layer)

    def layer_energy(self, layer: Layer) -> float:
        """Joules: compute power times latency."""
        return self.power.compute * self.layer_latency(layer)

    @property
    def run_overhead(self) -> float:
        """Per-inference session overhead (s) measured beyond the layers' sum, >= 0."""
        whole = self.profile.whole_model
        if whole is None or self.scale != 1.0:
            return 0.0  # CPU-time scaling already includes the per-call overhead
        if self.optimised:
            shares = sum(s.optimised or 0.0 for s in self.profile.layers.values())
            return self.slowdown * max(whole.optimised.median - shares, 0.0)
        return self.slowdown * max(whole.overhead, 0.0)

    def measured_segment(self, layers: Iterable[Layer]) -> SegmentStat | None:
        """The profiled segment that is exactly ``layers`` (a contiguous run in the graph's
        order), or None."""
        if not self._segments or self.graph is None:
            return None
        try:
            idx = sorted(self.graph.index[la.name] for la in layers)
        except KeyError:
            return None
        if not idx or idx[-1] - idx[0] + 1 != len(idx):
            return None
        return self._segments.get((idx[0], idx[-1] + 1))

    def segment_base(self, sg: SegmentStat) -> float:
        """A profiled segment's latency on the profiling machine (clock and optimisation
        as chosen), s."""
        if self.optimised:
            cpu, wall = sg.optimised_cpu, sg.optimised
        else:
            cpu, wall = sg.unoptimised_cpu, sg.unoptimised
        return (cpu if self.clock == "cpu" and cpu is not None else wall).median

    def segment_latency(self, layers: Iterable[Layer]) -> float:
        """Latency of running ``layers`` as one session call (0 for no layers), s.

        The measured latency of the profiled segment when ``layers`` is exactly one (it
        includes fusion across its layers and the call overhead), else the sum of the
        per-layer latencies plus the per-call overhead.
        """
        layers = list(layers)
        if not layers:
            return 0.0
        sg = self.measured_segment(layers)
        if sg is not None:
            return self.slowdown * self.segment_base(sg)
        return self.run_overhead + sum(self.layer_latency(la) for la in layers)

    @property
    def energy_source(self) -> str:
        """How this model's compute energy is obtained, in words."""
        en = self.profile.energy
        if en is not None and en.measured and self.power.compute == en.average_power:
            return f"measured (RAPL): {en.average_power:.3g} W average package power"
        why = f" ({en.reason})" if en is not None and en.reason else ""
        return f"modelled: power x time with {self.power.compute:g} W compute power{why}"

    def transmit_energy(self, seconds: float) -> float:
        """Radio energy for ``seconds`` of sending, J."""
        return self.power.tx * seconds

    def receive_energy(self, seconds: float) -> float:
        """Radio energy for ``seconds`` of receiving, J."""
        return self.power.rx * seconds

    def idle_energy(self, seconds: float) -> float:
        """Energy while waiting for ``seconds``, J."""
        return self.power.idle * seconds
