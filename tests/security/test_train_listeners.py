"""`argen train` keeps every socket on loopback: the listeners of its whole process tree (driver,
GCS, raylet, dashboard agent, env runners, generator actors), sampled with ``ss -ltnp`` while it
runs the shipped CPU config for one iteration (synthetic scorer: the Ray topology is the real one,
only the reward is closed-form)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.security.listeners import exposed, have_ss, listeners, process_tree

pytestmark = [pytest.mark.ray, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def test_train_listens_only_on_loopback(tmp_path):
    if not have_ss():
        pytest.skip("needs `ss` (iproute2) to list listening sockets")
    from argen_rl.asi.sample_contexts import ensure_sample_contexts

    contexts = ensure_sample_contexts(tmp_path / "contexts")
    cfg = yaml.safe_load(open(ROOT / "experiments" / "configs" / "train_warp_cpu.yaml"))
    cfg["env"]["contexts"] = str(contexts)
    cfg["env"]["rollout"].update(scorer="synthetic", num_actors=1)
    cfg.update(build_sample_contexts=False, iterations=1, checkpoint_every=1, run_dir=str(tmp_path / "run"))
    cfg["ppo"].update(train_batch_size=8, minibatch_size=4, num_epochs=1)
    cfg["eval"] = {"random_actions": 1}
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.Popen([sys.executable, "-m", "argen_rl.cli", "train", "run", "--config", str(path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: set[tuple[str, str]] = set()
    deadline = time.time() + 420
    while proc.poll() is None and time.time() < deadline:
        seen.update(listeners(process_tree(proc.pid)))
        time.sleep(0.5)
    if proc.poll() is None:
        proc.kill()
    out = proc.communicate()[0]
    assert proc.returncode == 0, out[-3000:]
    print("\n".join(f"  {a}  {p}" for a, p in sorted(seen)))
    assert any(p in ("gcs_server", "raylet") for _, p in seen), "Ray's servers were never seen listening"
    assert exposed(sorted(seen)) == [], f"listening beyond loopback: {exposed(sorted(seen))}"
