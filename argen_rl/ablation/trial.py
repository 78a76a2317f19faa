"""One ablation row: train the policy on the row's reward (train rows), then judge its actions on
held-out contexts with the FIXED judge (``argen_rl.metrics.fixed_judge``: the held-out
classifier's read, naturalness, identity, diversity, FVD), which no row trains on; the fixed
evaluation reward ``eval_weights`` is reported beside it for reference. ``ablation_trainable`` is
the Tune function trainable around ``run_row``; ``run_row`` also runs alone (inside Ray).

Training is ``argen_rl.train.loop.train`` (the project's one PPO loop) and evaluation is
``argen_rl.train.evaluate.evaluate_policy``. The random row judges every action of every
context (with ``random_actions: 0``), so it also reports the judge's per-context oracle.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Callable

import numpy as np

from argen_rl.ablation.config import AblationConfig, AblationRow
from argen_rl.rewards.composite import REWARDS

COMPOSITE = "reward/composite"


class FixedPolicy:
    """A policy that always takes one action (index triple): the fixed-action baseline, with the
    interface ``evaluate_policy`` uses (``act_indices``, ``probs``)."""

    def __init__(self, nvec: tuple[int, int, int], indices: list[int]):
        self.nvec = tuple(nvec)
        self.indices = np.asarray(indices, dtype=np.int64).reshape(3)
        if np.any(self.indices < 0) or np.any(self.indices >= np.asarray(self.nvec)):
            raise ValueError(f"fixed action {self.indices.tolist()} outside the action sets {self.nvec}")

    def act_indices(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        return self.indices.copy() if obs.ndim == 1 else np.tile(self.indices, (len(obs), 1))

    def probs(self, obs: np.ndarray) -> list[np.ndarray]:
        return [np.eye(n)[i] for n, i in zip(self.nvec, self.indices)]


def actor_prefix(cfg: AblationConfig, row: AblationRow, phase: str) -> str:
    """Unique named-actor prefix per (experiment, row, phase): concurrent trials never share actors."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"abl-{cfg.name}-{row.name}-{phase}")


def _hit_rate(stats: dict) -> float | None:
    total = stats.get("cache/hits", 0) + stats.get("cache/misses", 0)
    return stats["cache/hits"] / total if total else None


def run_row(cfg: AblationConfig, row: AblationRow, run_dir: str | Path,
            on_iteration: Callable[[int, dict], None] | None = None) -> dict:
    """Train (train rows) and evaluate one row; returns the row's metrics (flat dict)."""
    from argen_rl.policy.greedy import load_policy
    from argen_rl.train.config import TrainConfig
    from argen_rl.train.evaluate import evaluate_policy
    from argen_rl.train.loop import train
    from envs.bandit_env import ArgenBanditEnv
    from envs.config import EnvConfig
    from envs.rollout import RolloutPool

    t0 = time.perf_counter()
    run_dir = Path(run_dir)
    space = cfg.train.env.actions.space()
    out: dict = {"row": row.name, "kind": row.kind}
    rates: list[float] = []
    # 1. the policy: trained on this row's reward, or a baseline
    if row.kind == "train":
        d = cfg.train.model_dump(mode="json")
        d["env"]["reward"]["weights"] = {k: float(row.weights.get(k, 0.0)) for k in REWARDS}
        d["env"]["rollout"]["prefix"] = actor_prefix(cfg, row, "train")
        d["run_dir"] = str(run_dir / "train")
        # the row is judged below, once, with every other row's settings: not inside training too
        d["eval"] |= {"judge": False, "oracle": False, "random_actions": 1}
        summary = train(TrainConfig.model_validate(d), progress=False, on_iteration=on_iteration)
        policy = load_policy(summary["checkpoint"])
        train_rows = [json.loads(line) for line in (run_dir / "train" / "metrics.jsonl").read_text().splitlines()
                      if line.strip()]
        rates = [r["cache/hit_rate"] for r in train_rows if r.get("cache/hit_rate") is not None]
        out["train/iterations"] = summary["iterations"]
        out["train/resumed_from"] = summary["resumed_from"]
        out["train/time_per_iteration_s"] = summary.get("time/iteration_s_mean")
        out["train/checkpoint"] = summary["checkpoint"]
    else:
        policy = FixedPolicy(space.nvec, cfg.fixed_indices())
    # 2. evaluation with the fixed reward (own actors and cache: cached rewards depend on weights)
    d = cfg.train.env.model_dump(mode="json")
    d["reward"]["weights"] = dict(cfg.eval_weights)
    d["split"] = cfg.eval_split
    d["rollout"]["prefix"] = actor_prefix(cfg, row, "eval")
    env_cfg = EnvConfig.model_validate(d)
    pool = RolloutPool.launch(env_cfg)
    try:
        env = ArgenBanditEnv(env_cfg.model_dump(mode="json"))
        from argen_rl.train.loop import judge_generation, load_set_models

        n_random = cfg.random_actions if row.kind == "random" else 1   # only the random row needs them
        set_models, _ = load_set_models(cfg.train.eval)
        res = evaluate_policy(policy, env, n_random, seed=cfg.train.seed, judge=True,
                              oracle=row.kind == "random" and cfg.random_actions <= 0,
                              thumb_size=cfg.train.eval.thumb_size, set_models=set_models,
                              judge_generation=judge_generation(cfg.train))
        eval_cache = pool.cache_stats()
    finally:
        pool.shutdown()
    who = "random" if row.kind == "random" else "greedy"
    comps = res.components[who]
    out["eval/composite"] = comps[COMPOSITE]
    for name in REWARDS:
        if f"reward/{name}" in comps:
            out[f"eval/{name}"] = comps[f"reward/{name}"]
    for key, value in res.judged.get(who, {}).items():
        out[f"judge/{key.replace('/', '_')}"] = value
    if "oracle" in res.judged:          # judged only for the random row with every action (above)
        for key, value in res.judged["oracle"].items():
            out[f"oracle/{key.replace('/', '_')}"] = value
    if row.kind == "random":
        out["eval/mean_steps"] = float(np.mean(space.steps))      # expectation of a uniform pick
    else:
        out["eval/mean_steps"] = float(np.mean([space.steps[a[0]] for a in res.greedy_actions]))
        out["eval/actions"] = [list(a) for a in res.greedy_actions]
    out["eval/best"] = res.best
    out["eval/n_contexts"] = res.n_contexts
    # training: mean per-pool hit rate over all iterations (metrics.jsonl survives a resume);
    # baselines: the evaluation cache's
    out["cache/hit_rate"] = float(np.mean(rates)) if rates else _hit_rate(eval_cache)
    out["time/trial_s"] = time.perf_counter() - t0
    return out


def ablation_trainable(config: dict, ablation: dict) -> None:
    """Tune function trainable: ``config["row"]`` is one AblationRow; ``ablation`` the whole
    AblationConfig (bound with ``tune.with_parameters``). Reports training iterations as they
    finish, then the row's evaluation metrics (the trial's final result)."""
    from ray import tune

    cfg = AblationConfig.model_validate(ablation)
    row = AblationRow.model_validate(config["row"])
    run_dir = Path(cfg.storage_path) / cfg.name / "runs" / row.name

    def on_iteration(it: int, metrics: dict) -> None:
        tune.report({"phase": "train", "train/iteration": it,
                     "train/reward_topk": metrics.get("reward/topk"),
                     "train/cache_hit_rate": metrics.get("cache/hit_rate")})

    result = run_row(cfg, row, run_dir, on_iteration)
    result.pop("eval/actions", None)
    result = {k: v for k, v in result.items() if not (isinstance(v, float) and v != v)}   # NaN: not measured
    tune.report({"phase": "done", **{k: v for k, v in result.items() if v is not None}})
