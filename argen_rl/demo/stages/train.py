"""Stage 3: ARD policy training (RLlib PPO on local Ray, warp generator, real rewards) on the ASI
contexts, the trainer's held-out evaluation (greedy vs random vs mid-range action), then the
report's curves and learned-vs-random action histograms."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from argen_rl.demo.runner import DemoRun


def ensure_local_ray() -> bool:
    """The demo's Ray: a private local instance on loopback (ray.init address="local").
    True if this call started it."""
    import os

    import ray

    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    return True


def run(run: DemoRun) -> dict:
    from argen_rl.asi.contexts import load_contexts
    from argen_rl.demo.plots import (action_histograms, plot_action_curves, plot_action_histograms,
                                     plot_reward_curves)
    from argen_rl.policy.greedy import load_policy
    from argen_rl.train.loop import train
    from envs.bandit_env import observation

    out = run.dir("train")
    contexts = run.summary("asi")["contexts_path"]
    base = run.cfg.train
    cfg = base.model_copy(update={
        "env": base.env.model_copy(update={"contexts": contexts, "seed": run.cfg.seed}),
        "run_dir": str(out.resolve()), "seed": run.cfg.seed, "resume": False})
    started = ensure_local_ray()
    try:
        summary = train(cfg, progress=run.progress)
    finally:     # later stages run without Ray: give its processes' memory and CPU back
        if started:
            import ray

            ray.shutdown()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    plot_reward_curves(rows, out / "reward_curves.png")
    plot_action_curves(rows, out / "action_curves.png")
    policy = load_policy(summary["checkpoint"])
    ctxs = load_contexts(Path(contexts))
    greedy = np.stack([policy.act_indices(observation(c)) for c in ctxs])
    hist = action_histograms(greedy, policy.space)
    plot_action_histograms(hist, out / "action_histograms.png", len(ctxs))
    last = rows[-1] if rows else {}
    return {"checkpoint": summary["checkpoint"], "iterations": cfg.iterations,
            "episodes": summary.get("episodes/lifetime"), "eval": summary.get("eval", {}),
            "cache": summary.get("cache_final"), "iteration_s_mean": summary.get("time/iteration_s_mean"),
            "last_iteration": {k: v for k, v in last.items() if isinstance(v, (int, float))},
            "action_histograms": hist,
            "figures": {"reward": "train/reward_curves.png", "action": "train/action_curves.png",
                        "histograms": "train/action_histograms.png",
                        "learning_curve": "train/learning_curve.png"}}
