"""Measured device cost model: ONNX Runtime profiling, per-type regression, validation.

* :mod:`~edgeopt_solve.costmodel.onnx_build` — DnnGraph -> runnable ONNX (and back).
* :mod:`~edgeopt_solve.costmodel.profiler` — per-layer ORT profiling -> :class:`Profile`.
* :mod:`~edgeopt_solve.costmodel.segments` — per-segment latency, optimisations off and on.
* :mod:`~edgeopt_solve.costmodel.energy` — RAPL package energy (powercap), when readable.
* :mod:`~edgeopt_solve.costmodel.regression` — per-type latency regression (sweep + fit).
* :mod:`~edgeopt_solve.costmodel.measured` — :class:`MeasuredCostModel` (the system
  layer's ``CostModel`` protocol) and :class:`PowerModel`.
* :mod:`~edgeopt_solve.costmodel.link` — link model with measured serialisation overhead.
* :mod:`~edgeopt_solve.costmodel.validate` — split a model at a plan's cut tensors and run
  it for real over shaped loopback TCP (result returned to the device if asked).
* :mod:`~edgeopt_solve.costmodel.cgroup` — CPU quota through the cgroup cpu controller.
* :mod:`~edgeopt_solve.costmodel.cli` — ``edgeopt-solve profile`` / ``validate``.

Importing this package imports neither onnx nor onnxruntime.
"""

from edgeopt_solve.costmodel.link import LinkModel
from edgeopt_solve.costmodel.measured import MeasuredCostModel, PowerModel
from edgeopt_solve.costmodel.profile import Profile, load_profile, save_profile

__all__ = ["LinkModel", "MeasuredCostModel", "PowerModel", "Profile", "load_profile",
           "save_profile"]
