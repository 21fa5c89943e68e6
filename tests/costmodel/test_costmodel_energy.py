"""RAPL reader against fake powercap trees; the profile says whether energy was measured."""

from __future__ import annotations

import pathlib

import pytest

from edgeopt_solve.costmodel import profiler
from edgeopt_solve.costmodel.energy import RaplMeter
from edgeopt_solve.costmodel.measured import MeasuredCostModel, PowerModel
from edgeopt_solve.costmodel.onnx_build import build_onnx
from edgeopt_solve.costmodel.samples import tiny_chain


def _package(root, p, energy, max_range=None, name=None):
    d = root / f"intel-rapl:{p}"
    d.mkdir(parents=True)
    (d / "energy_uj").write_text(f"{energy}\n")
    (d / "name").write_text(name or f"package-{p}\n")
    if max_range is not None:
        (d / "max_energy_range_uj").write_text(f"{max_range}\n")
    return d


def _set(d, energy):
    (d / "energy_uj").write_text(f"{energy}\n")


def test_one_package_counts_joules(tmp_path):
    d = _package(tmp_path, 0, 1_000_000, max_range=2**32)
    meter = RaplMeter(tmp_path)
    assert meter.available and "1 package" in meter.reason
    a = meter.read()
    _set(d, 3_500_000)
    assert meter.joules(a, meter.read()) == pytest.approx(2.5)


def test_wrap_around_uses_max_energy_range(tmp_path):
    d = _package(tmp_path, 0, 9_000_000, max_range=10_000_000)
    meter = RaplMeter(tmp_path)
    a = meter.read()
    _set(d, 500_000)  # wrapped: 1 J to the top, then 0.5 J
    assert meter.joules(a, meter.read()) == pytest.approx(1.5)
    # a wrap without a known range cannot be measured
    (d / "max_energy_range_uj").unlink()
    meter = RaplMeter(tmp_path)
    _set(d, 9_000_000)
    a = meter.read()
    _set(d, 10)
    assert meter.joules(a, meter.read()) is None


def test_packages_add_and_subdomains_do_not(tmp_path):
    d0 = _package(tmp_path, 0, 0, max_range=10**9)
    d1 = _package(tmp_path, 1, 100, max_range=10**9)
    sub = tmp_path / "intel-rapl:0:0"  # core domain: part of package 0, not added again
    sub.mkdir()
    (sub / "energy_uj").write_text("0\n")
    meter = RaplMeter(tmp_path)
    assert len(meter.domains) == 2
    a = meter.read()
    _set(d0, 2_000_000)
    _set(d1, 1_000_100)
    (sub / "energy_uj").write_text("5000000\n")
    assert meter.joules(a, meter.read()) == pytest.approx(3.0)


def test_missing_and_unreadable_trees_say_why(tmp_path, monkeypatch):
    assert not RaplMeter(tmp_path / "nothing").available
    meter = RaplMeter(tmp_path)
    assert not meter.available and "no RAPL package domains" in meter.reason
    assert meter.read() is None and meter.joules(None, None) is None
    d = _package(tmp_path, 0, 5)
    real = pathlib.Path.read_text

    def denied(self, *a, **k):
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "read_text", denied)
    meter = RaplMeter(tmp_path)
    assert not meter.available
    assert "permission denied" in meter.reason and str(d / "energy_uj") in meter.reason


class _TickingMeter(RaplMeter):
    """A fake tree whose counter advances 0.25 J per read (as if the CPU drew power)."""

    def read(self):
        for dom in self.domains:
            dom.path.write_text(str(int(dom.path.read_text()) + 250_000))
        return super().read()


def test_profile_records_measured_or_modelled_energy(tmp_path, monkeypatch):
    g = tiny_chain()
    model = build_onnx(g)
    _package(tmp_path / "rapl", 0, 0, max_range=10**12)
    monkeypatch.setattr(profiler, "RaplMeter", _TickingMeter)
    prof = profiler.profile_model(model, g, runs=3, warmup=0, rapl_root=tmp_path / "rapl")
    en = prof.energy
    assert en.source == "rapl" and en.measured and en.joules_per_run == pytest.approx(0.25)
    assert en.average_power == pytest.approx(0.25 / prof.whole_model.optimised.median)
    cm = MeasuredCostModel(prof, g)
    assert cm.power.compute == pytest.approx(en.average_power)
    assert cm.energy_source.startswith("measured (RAPL)")
    # permission denied: modelled, and the profile and the cost model say so
    monkeypatch.setattr(profiler, "RaplMeter", RaplMeter)
    (tmp_path / "denied").mkdir()
    real = pathlib.Path.read_text

    def denied(self, *a, **k):
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *a, **k)

    _package(tmp_path / "denied", 0, 0)
    monkeypatch.setattr(pathlib.Path, "read_text", denied)
    prof = profiler.profile_model(model, g, runs=2, warmup=0, rapl_root=tmp_path / "denied")
    monkeypatch.undo()
    en = prof.energy
    assert en.source == "model" and not en.measured and en.joules_per_run is None
    assert "permission denied" in en.reason and "power x time" in en.reason
    cm = MeasuredCostModel(prof, g, power=PowerModel(compute=3.0))
    assert cm.layer_energy(g.layers[0]) == pytest.approx(3.0 * cm.layer_latency(g.layers[0]))
    assert cm.energy_source.startswith("modelled") and "permission denied" in cm.energy_source
