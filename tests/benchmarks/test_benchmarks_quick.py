"""Every benchmark script runs at its --quick size (CI smoke) and prints its baseline ratio.

The numbers themselves are not asserted (timings are not tests); that each script runs end to
end on this CPU and reports the comparison it exists for is.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CASES = [
    ("ti2v_bench.py", ["speed-up ours vs naive:", "TFLOP/s"]),
    ("face_bench.py", ["face mesh 478", "FER net only", "frame quality"]),
    ("warp_bench.py", ["p(target)", "ratio", "16-frame video"]),
    ("recognition_bench.py", ["train clips/s", "loader share", "peak RSS ratio 400/40 clips"]),
    ("expression_bench.py", ["tuning faces", "held_out faces", "ratio new/old", "largest single-step share",
                             "per intensity letter"]),
    ("calibration_bench.py", ["held_out faces", "before: kept", "after: kept", "ratio after/before"]),
    pytest.param("env_bench.py", ["2 actors, cache on", "hit rate", "reward cost per clip now / before"],
                 marks=pytest.mark.ray),
    pytest.param("serve_load.py", ["throughput ratio 2 vs 1 replicas"], marks=pytest.mark.ray),
    pytest.param("augment_bench.py", ["2 actors", "x in-process", "identical outputs (sidecars + frames) "
                                      "across settings: True"], marks=pytest.mark.ray),
    pytest.param("asi_bench.py", ["2 clip workers + writer actor", "x one process"], marks=pytest.mark.ray),
]


@pytest.mark.slow
@pytest.mark.parametrize("script,expected", CASES)
def test_benchmark_quick_runs_and_reports(script, expected):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--quick"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    for marker in expected:
        assert marker in out.stdout, f"{script}: no {marker!r} in its output\n{out.stdout[-2000:]}"


@pytest.mark.slow
def test_ti2v_gpu_check_dry_run_on_cpu_never_imports_ray():
    """`ti2v_bench.py --gpu-check` is the one command for a GPU machine that has no Ray: its whole
    code path runs here on tiny components with `import ray` made to fail."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    code = ("import runpy, sys; sys.modules['ray'] = None; "
            "sys.argv = ['ti2v_bench.py', '--gpu-check', '--device', 'cpu', '--tiny', '--threads', '1']; "
            "runpy.run_path('benchmarks/ti2v_bench.py', run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    for marker in ("ray imported: False", "[demo]", "s/video", "speed-up ours:", "[train] pool of 4",
                   "pool speed-up:", "[sweep]", "B=  2:", "peak mem", "total wall"):
        assert marker in out.stdout, f"no {marker!r} in\n{out.stdout[-2000:]}"
