"""The training run: launch generator actors, train PPO, checkpoint/resume, log, evaluate.

``train(cfg)`` is what ``experiments/train_policy.py`` and ``argen train`` call. Outputs under
``cfg.run_dir``: ``config.yaml`` (exact settings), ``checkpoints/iter_NNNNNN/`` (Algorithm
checkpoints; the policy module alone loads with ``argen_rl.policy.greedy.load_policy``),
``tb/`` (TensorBoard), ``metrics.jsonl`` (one row per iteration), ``learning_curve.png``,
``summary.json`` (held-out evaluation by the fixed judge and the training reward, cache hit
rate, timings) and ``eval_actions.md`` (the greedy action per emotion x identity).
"""
from __future__ import annotations

import json
import numbers
import time
from pathlib import Path
from typing import Callable

import numpy as np
import ray

from argen_rl.config import dump_config
from argen_rl.io_utils import atomic_write_json, atomic_write_text
from argen_rl.train.config import TrainConfig

CKPT_PREFIX = "iter_"
STATE_FILE = "trainer_state.json"
CACHE_FILE = "reward_cache.jsonl"


def init_ray(cfg: TrainConfig) -> bool:
    """Join the configured / job's cluster, or start a private local one. True if we started it."""
    from argen_rl.ray_init import start_ray

    return start_ray(cfg.ray.address, cfg.ray.num_cpus)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint (its trainer_state.json is written last)."""
    ckpts = sorted(p for p in (Path(run_dir) / "checkpoints").glob(f"{CKPT_PREFIX}*")
                   if (p / STATE_FILE).is_file())
    return ckpts[-1] if ckpts else None


def save_checkpoint(algo, cfg: TrainConfig, iteration: int, pool=None) -> Path:
    path = Path(cfg.run_dir).resolve() / "checkpoints" / f"{CKPT_PREFIX}{iteration:06d}"
    algo.save_to_path(str(path))
    if pool is not None:
        from envs.cache import save_cache

        save_cache(path / CACHE_FILE, pool.cache_items())
    space = cfg.env.actions.space()
    atomic_write_json(path / "action_space.json",
                      {"steps": list(space.steps), "a": list(space.a), "b": list(space.b)})
    atomic_write_json(path / STATE_FILE, {"iteration": iteration})   # marks it complete
    return path


def metrics_row(result: dict, iteration: int, seconds: float) -> dict:
    """Flatten one RLlib result into our namespaced metrics."""
    env = result.get("env_runners", {})
    learner = result.get("learners", {}).get("default_policy", {})
    row = {"iteration": iteration, "time/iteration_s": seconds,
           "episodes/iteration": _num(env.get("num_episodes")),
           "episodes/lifetime": _num(env.get("num_episodes_lifetime")),
           "env_steps/lifetime": _num(env.get("num_env_steps_sampled_lifetime")),
           "episode_return_mean": _num(env.get("episode_return_mean"))}
    from argen_rl.train.callbacks import NAMESPACES     # what the callback logs is what a row keeps

    for k, v in env.items():
        if k.startswith(NAMESPACES) and isinstance(v, numbers.Number):
            row[k] = float(v)
    for k in ("policy_loss", "vf_loss", "entropy", "mean_kl_loss"):
        if k in learner:
            row[f"loss/{k}"] = float(learner[k])
    return row


def _num(v):
    """numpy / torch scalars -> plain int or float (JSON-safe); None stays None."""
    if v is None:
        return None
    v = float(v)
    return int(v) if v.is_integer() else v


def train(cfg: TrainConfig, progress: bool = True,
          on_iteration: Callable[[int, dict], None] | None = None) -> dict:
    """Run (or resume) training and the held-out evaluation; returns the summary dict."""
    from tqdm.auto import tqdm

    from argen_rl.policy.greedy import load_policy
    from argen_rl.train.evaluate import evaluate_policy
    from argen_rl.train.plots import plot_learning_curve
    from argen_rl.train.ppo import build_ppo_config
    from envs.bandit_env import ArgenBanditEnv
    from envs.rollout import RolloutPool

    run_dir = Path(cfg.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    dump_config(cfg, run_dir / "config.yaml")
    started_ray = init_ray(cfg)
    pool = algo = writer = None
    try:
        # 1. generator actors + reward cache (named; env runners look them up)
        pool = RolloutPool.launch(cfg.env)
        # 2. the algorithm, restored from the latest checkpoint when resuming
        algo = build_ppo_config(cfg).build_algo()
        rows = _read_rows(run_dir / "metrics.jsonl") if cfg.resume else []
        start = 0
        ckpt = latest_checkpoint(run_dir) if cfg.resume else None
        if ckpt is not None:
            algo.restore_from_path(str(ckpt))
            # the env runners must act with the restored weights from the first sample on
            algo.env_runner_group.sync_weights(from_worker_or_learner_group=algo.learner_group,
                                               inference_only=True, timeout_seconds=30)
            start = json.loads((ckpt / STATE_FILE).read_text())["iteration"]
            if (ckpt / CACHE_FILE).is_file():     # candidates scored before the restart are free
                from envs.cache import load_cache

                pool.cache_preload(load_cache(ckpt / CACHE_FILE))
            rows = [r for r in rows if r["iteration"] <= start]
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tb"))
        last_ckpt = ckpt
        # 3. iterations: sample train_batch_size one-step episodes, PPO update, log, checkpoint
        for it in tqdm(range(start + 1, cfg.iterations + 1), desc="train", disable=not progress,
                       initial=start, total=cfg.iterations):
            t0 = time.perf_counter()
            result = algo.train()
            row = metrics_row(result, it, time.perf_counter() - t0)
            rows.append(row)
            atomic_write_text(run_dir / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
            for k, v in row.items():
                if k != "iteration" and isinstance(v, (int, float)):
                    writer.add_scalar(k, v, it)
            if it % cfg.checkpoint_every == 0 or it == cfg.iterations:
                last_ckpt = save_checkpoint(algo, cfg, it, pool)
            if on_iteration is not None:
                on_iteration(it, row)
        writer.flush()
        plot_learning_curve(rows, run_dir / "learning_curve.png")
        # 4. held-out evaluation of the greedy policy loaded from the checkpoint alone
        summary: dict = {"run_dir": str(run_dir), "iterations": cfg.iterations,
                         "resumed_from": start, "checkpoint": str(last_ckpt) if last_ckpt else None,
                         "cache": pool.cache_stats(),
                         "time/iteration_s_mean": float(np.mean([r["time/iteration_s"] for r in rows]))
                         if rows else None,
                         "episodes/lifetime": rows[-1].get("episodes/lifetime") if rows else None}
        if last_ckpt is not None:
            policy = load_policy(last_ckpt)
            env_cfg = cfg.env.model_copy(update={"split": cfg.eval.split})
            t_eval = time.perf_counter()
            set_models, statuses = load_set_models(cfg.eval)
            res = evaluate_policy(policy, ArgenBanditEnv(env_cfg.model_dump(mode="json")),
                                  cfg.eval.random_actions, seed=cfg.seed, judge=cfg.eval.judge,
                                  oracle=cfg.eval.oracle, thumb_size=cfg.eval.thumb_size,
                                  set_models=set_models, judge_generation=judge_generation(cfg))
            summary["eval"] = res.as_dict() | {"set_metric_status": statuses}
            summary["time/eval_s"] = time.perf_counter() - t_eval
            for name in ("greedy", "random", "mid"):
                writer.add_scalar(f"eval/composite_{name}", getattr(res, name), cfg.iterations)
            for name, metrics in res.judged.items():
                for k, v in metrics.items():
                    if np.isfinite(v):
                        writer.add_scalar(f"eval/{name}/{k}", v, cfg.iterations)
            if res.actions:
                from argen_rl.train.evaluate import action_table

                atomic_write_text(run_dir / "eval_actions.md", action_table(res.actions))
        summary["cache_final"] = pool.cache_stats()
        atomic_write_json(run_dir / "summary.json", summary)
        return summary
    finally:
        if writer is not None:
            writer.close()
        if algo is not None:
            algo.stop()
        if pool is not None:
            pool.shutdown()
        if started_ray:
            ray.shutdown()


def judge_generation(cfg: TrainConfig):
    """The generation settings of the clips the fixed judge reads (eval.size / eval.frames)."""
    over = {k: v for k, v in {"size": cfg.eval.size, "frames": cfg.eval.frames}.items() if v is not None}
    return cfg.env.generation.model_copy(update=over) if over else None


def load_set_models(ev) -> tuple[dict, dict[str, str]]:
    """LPIPS / I3D models and the FVD reference videos an EvalConfig names (set-level judge
    metrics), and a status line per metric that cannot run (missing weights or videos)."""
    models: dict = {}
    status: dict[str, str] = {}
    if ev.lpips_backbone:
        from argen_rl.metrics.lpips import load_lpips

        models["lpips"] = load_lpips(Path(ev.lpips_backbone), Path(ev.lpips_heads) if ev.lpips_heads else None)
    else:
        status["diversity/lpips"] = "not available: no eval.lpips_backbone configured (docs/evaluation.md)"
    if ev.i3d and Path(ev.i3d).is_file() and ev.fvd_real:
        from argen_rl.metrics.i3d import load_i3d
        from argen_rl.metrics.inputs import load_videos

        models["i3d"] = load_i3d(Path(ev.i3d))
        models["real"] = load_videos(Path(ev.fvd_real), progress=False)
    else:
        missing = ev.i3d if ev.i3d and not Path(ev.i3d).is_file() else None
        status["fvd"] = (f"not available: {missing} (I3D weights; docs/evaluation.md)" if missing else
                         "not available: set eval.i3d and eval.fvd_real (docs/evaluation.md)")
    return models, status


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
