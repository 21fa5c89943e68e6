"""cgroup cpu controller: detection and quota files on fake trees; fallback to padding."""

from __future__ import annotations

import pytest

from edgeopt_solve.costmodel.cgroup import (
    MAX_QUOTA_BIAS,
    CpuController,
    CpuQuota,
    Detection,
    detect,
    quota_bias,
    quota_for,
)
from edgeopt_solve.costmodel.validate import plan_emulation
from edgeopt_solve.exceptions import InvalidInstanceError


def _v2(tmp_path, controllers="cpuset cpu io memory", subtree="cpu memory"):
    root = tmp_path / "cg"
    me = root / "user.slice" / "me"
    me.mkdir(parents=True)
    (root / "cgroup.controllers").write_text(controllers + "\n")
    if subtree is not None:
        (me / "cgroup.subtree_control").write_text(subtree + "\n")
    self_cg = tmp_path / "self_cgroup"
    self_cg.write_text("0::/user.slice/me\n")
    return root, self_cg, me


def _v1(tmp_path, path="/docker/abc"):
    root = tmp_path / "cg"
    parent = root / "cpu" / path.lstrip("/")
    parent.mkdir(parents=True)
    for d in (root / "cpu", parent):
        (d / "cpu.cfs_quota_us").write_text("-1\n")
        (d / "cpu.cfs_period_us").write_text("100000\n")
    self_cg = tmp_path / "self_cgroup"
    self_cg.write_text(f"5:memory:/x\n4:cpu,cpuacct:{path}\n0::/\n")
    return root, self_cg, parent


def test_quota_for_uses_the_shortest_period():
    assert quota_for(4.0) == (1000, 4000)
    assert quota_for(2.0, threads=2) == (1000, 1000)  # two threads at half speed: one CPU
    assert quota_for(4.0, threads=2) == (1000, 2000)
    assert quota_for(1.0) is None and quota_for(0.5) is None
    q, p = quota_for(2500.0)
    assert p == 1_000_000 and q == 1000  # capped at the longest period, quota >= 1 ms


def test_v2_delegated_tree_gets_cpu_max(tmp_path):
    root, self_cg, me = _v2(tmp_path)
    det = detect(root, self_cg)
    assert det.available and det.controller == CpuController(2, me)
    quota = CpuQuota(det.controller, tag="t")
    assert quota.apply(0, 4242, 4.0) == "1000/4000 us"
    assert (me / "t-0" / "cpu.max").read_text() == "1000 4000\n"
    assert (me / "t-0" / "cgroup.procs").read_text() == "4242\n"
    quota.apply(1, 4343, 1.0)  # the fast tier is not limited
    assert (me / "t-1" / "cpu.max").read_text() == "max 100000\n"
    quota.close()  # a fake tree keeps its files; close never raises
    assert quota.groups == {}


@pytest.mark.parametrize("controllers, subtree, text", [
    ("cpuset io memory", "memory", "cpu controller is not enabled"),
    ("cpuset cpu io", "memory", "not delegated"),
    ("cpuset cpu io", None, "not delegated"),
])
def test_v2_without_the_controller_falls_back(tmp_path, controllers, subtree, text):
    root, self_cg, _ = _v2(tmp_path, controllers, subtree)
    det = detect(root, self_cg)
    assert not det.available and text in det.reason and "no cgroup v1" in det.reason
    use, why = plan_emulation("auto", det)
    assert not use and text in why
    with pytest.raises(InvalidInstanceError, match=text) as exc:
        plan_emulation("quota", det)
    assert exc.value.field == "emulation"


def test_v1_cpu_hierarchy_gets_cfs_quota(tmp_path):
    root, self_cg, parent = _v1(tmp_path)
    det = detect(root, self_cg)
    assert det.available and det.controller.version == 1 and det.controller.parent == parent
    assert "no cgroup v2" in det.reason or "cgroup v1" in det.reason
    quota = CpuQuota(det.controller, tag="t")
    quota.apply(0, 77, 3.0)
    cg = parent / "t-0"
    assert (cg / "cpu.cfs_period_us").read_text() == "3000\n"
    assert (cg / "cpu.cfs_quota_us").read_text() == "1000\n"
    assert (cg / "cgroup.procs").read_text() == "77\n"
    quota.apply(0, 77, 1.0)  # lifting the limit
    assert (cg / "cpu.cfs_quota_us").read_text() == "-1\n"


def test_no_cgroup_at_all(tmp_path):
    (tmp_path / "cg").mkdir()
    (tmp_path / "self").write_text("0::/\n")
    det = detect(tmp_path / "cg", tmp_path / "self")
    assert not det.available
    assert "no cgroup v2 hierarchy" in det.reason and "no cgroup v1 cpu hierarchy" in det.reason
    assert plan_emulation("padding", det) == (False, "padding requested")
    with pytest.raises(InvalidInstanceError):
        plan_emulation("fast", det)
    # a v1 tree whose own cgroup vanished is reported, not raised
    root, self_cg, parent = _v1(tmp_path / "b")
    (parent / "cpu.cfs_quota_us").unlink()
    assert "no cpu.cfs_quota_us" in detect(root, self_cg).reason


def test_a_quota_that_cannot_be_set_raises_oserror(tmp_path):
    det = Detection(CpuController(2, tmp_path / "missing" / "cg"), "fake")
    with pytest.raises(OSError):
        CpuQuota(det.controller).apply(0, 1, 4.0)


def test_quota_bias_says_when_a_run_is_too_short_for_the_quota():
    assert quota_bias(0.010, 1.0) == 0.0          # no quota needed
    assert quota_bias(0.0005, 4.0) == 1.0         # fits in one 1 ms quota: not slowed at all
    assert quota_bias(0.0, 4.0) == 1.0
    # 4x: the first 1 ms of each run is free, so 3 ms of 4 x T are missing
    assert quota_bias(0.0075, 4.0) == pytest.approx(3e-3 / 0.030)
    assert quota_bias(0.0075, 4.0) <= MAX_QUOTA_BIAS < quota_bias(0.005, 4.0)


def test_stage_cgroup_files_for_moving_in_and_out(tmp_path):
    root, self_cg, me = _v2(tmp_path)
    quota = CpuQuota(detect(root, self_cg).controller, tag="t")
    quota.apply(3, 99, 8.0)
    assert quota.procs_files(3) == (str(me / "t-3" / "cgroup.procs"), str(me / "cgroup.procs"))
