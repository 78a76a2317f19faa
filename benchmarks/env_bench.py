"""Env throughput: env steps/s and candidate videos/s with 1 and 2 generator actors, cache off/on.

    python benchmarks/env_bench.py            # 16 steps per pass, 128 px, 16 frames
    python benchmarks/env_bench.py --quick    # CI smoke: 3 steps per pass, 64 px, 8 frames

Every setting replays the same seeded sequence of (context, action) steps through
ArgenBanditEnv (pool of K=4 candidates per step) with the real warp generator and rewards on
sample-dataset contexts, twice: pass 1 starts from an empty cache, pass 2 repeats pass 1 (what
happens when training revisits contexts). "videos/s" counts candidates actually generated and
scored (cache misses). Baseline for the ratios: the in-process scorer (no Ray, no cache) in the
same run. Actors are started and warmed on every identity before timing.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402


def env_config(contexts: Path, actors: int, cache: bool, size: int, frames: int) -> dict:
    return {"contexts": str(contexts), "split": "all", "pool_size": 4, "seed": 0,
            "generation": {"size": size, "frames": frames},
            "rollout": {"num_actors": actors, "num_cpus": 0, "cache": cache, "prefix": "env-bench"}}


def warm(env) -> None:
    """Every actor (or the local scorer) analyses every identity once, outside the timing."""
    from envs.rollout import RolloutPool

    pool = env._pool or RolloutPool.connect(env.cfg)
    env._pool = pool
    idents = {str(c.identity_image): c for c in env.contexts}.values()
    reqs = [env.request(c, [0, 0, 0], seed=1) for c in idents]
    if pool.local_scorer is not None:
        pool.local_scorer.score(reqs)
    else:
        import ray

        ray.get([a.score.remote(reqs) for a in pool.actors])


def run_passes(env, sequence, passes: int = 2) -> list[dict]:
    out = []
    for _ in range(passes):
        generated = hits = 0
        t0 = time.perf_counter()
        for seed, action in sequence:
            env.reset(seed=seed)
            info = env.step(action)[4]
            hits += info["cache/hits"]
            generated += env.cfg.pool_size - info["cache/hits"]
        dt = time.perf_counter() - t0
        n = len(sequence)
        out.append({"steps/s": n / dt, "videos/s": generated / dt,
                    "hit_rate": hits / (n * env.cfg.pool_size)})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI smoke run")
    p.add_argument("--contexts", default=None, help="contexts.jsonl (default: build sample contexts)")
    p.add_argument("--steps", type=int, default=None, help="steps per pass")
    a = p.parse_args()
    steps = a.steps or (3 if a.quick else 16)
    size, frames = (64, 8) if a.quick else (128, 16)

    import ray
    import torch

    from envs.bandit_env import ArgenBanditEnv
    from envs.config import EnvConfig
    from envs.rollout import RolloutPool

    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if a.contexts:
            contexts = Path(a.contexts)
        else:
            from argen_rl.asi.sample_contexts import ensure_sample_contexts

            contexts = ensure_sample_contexts(Path(tmp) / "contexts")
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            # one set of named actors (2 generators + cache); the 1-actor settings use gen-0
            launched = RolloutPool.launch(EnvConfig.model_validate(env_config(contexts, 2, True, size, frames)))
            rng = np.random.default_rng(0)
            probe = ArgenBanditEnv(env_config(contexts, 0, False, size, frames))
            sequence = [(int(rng.integers(1 << 30)), probe.space.all_actions()[rng.integers(probe.space.size)])
                        for _ in range(steps)]
            for actors, cache in [(0, False), (1, False), (2, False), (1, True), (2, True)]:
                env = probe if actors == 0 else ArgenBanditEnv(env_config(contexts, actors, cache, size, frames))
                warm(env)
                if cache:
                    ray.get(launched.cache.clear.remote())
                p1, p2 = run_passes(env, sequence)
                rows.append({"actors": actors, "cache": cache, "pass1": p1, "pass2": p2})
            launched.shutdown()
        finally:
            ray.shutdown()
    base = rows[0]["pass1"]["steps/s"]
    print(f"env_bench: {steps} steps/pass x pool of 4, {size}px x {frames} frames, warp + real "
          f"rewards, {os.cpu_count()} CPUs")
    print(f"{'setting':<26}{'steps/s':>9}{'videos/s':>10}{'x in-proc':>11}   "
          f"{'pass 2 (repeat): steps/s':>25}{'hit rate':>10}")
    for r in rows:
        name = "in-process (no Ray)" if r["actors"] == 0 else \
            f"{r['actors']} actor{'s' if r['actors'] > 1 else ''}, cache {'on' if r['cache'] else 'off'}"
        p1, p2 = r["pass1"], r["pass2"]
        print(f"{name:<26}{p1['steps/s']:>9.2f}{p1['videos/s']:>10.2f}{p1['steps/s'] / base:>11.2f}   "
              f"{p2['steps/s']:>25.2f}{p2['hit_rate']:>10.2f}")


if __name__ == "__main__":
    main()
