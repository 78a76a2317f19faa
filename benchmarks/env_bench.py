"""Env throughput: env steps/s and candidate videos/s with 1 and 2 generator actors, cache off/on;
then what each reward costs per clip, the default rewards against those before issue 12.

    python benchmarks/env_bench.py            # 16 steps per pass, 128 px, 16 frames
    python benchmarks/env_bench.py --quick    # CI smoke: 3 steps per pass, 64 px, 8 frames
    python benchmarks/env_bench.py --rewards-only --size 64 --frames 16   # just the reward costs

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


BEFORE = {"weights": {"steps": 0.2, "quality": 0.3, "face": 0.3, "expression": 0.2}, "agreement_weight": 0.0,
          "au_estimator": "geometric", "A_max": 5.5}
"""The reward configuration before issue 12 (ARGen's four terms, amplitude-only r_E on the
geometric AU reader)."""


def reward_costs(contexts: Path, size: int, frames: int, clips: int, rounds: int = 3) -> list[dict]:
    """ms per clip of every reward component, before (``BEFORE``) and now (``RewardConfig()``),
    on the same warp clips; the two are interleaved ``rounds`` times (fresh Video objects each
    time, so nothing is reused between them) and the median kept, so machine load hits both."""
    from argen_rl.asi.contexts import load_contexts
    from argen_rl.generation.config import GenerationConfig
    from argen_rl.generation.registry import make_generator
    from argen_rl.policy.actions import ActionSpace, decode_action
    from argen_rl.rewards import CompositeReward, RewardConfig
    from argen_rl.types import Video
    from argen_rl.video_io import read_image

    ctxs = load_contexts(contexts)
    space, gen = ActionSpace(), make_generator("warp")
    g = GenerationConfig(frames=frames, size=size)
    rng = np.random.default_rng(0)
    reqs = []
    for i in range(clips):
        c = ctxs[i % len(ctxs)]
        reqs.append(g.request(c, read_image(c.identity_image), *decode_action(space.all_actions()[rng.integers(space.size)], space), i))
    videos = gen.generate(reqs)
    configs = {"before": RewardConfig(S_max=max(space.steps), **BEFORE), "now": RewardConfig(S_max=max(space.steps))}
    fns = {k: CompositeReward.from_config(c) for k, c in configs.items()}
    for fn in fns.values():
        fn(videos[:1], reqs[:1])                          # load every model outside the timing
    times: dict[str, list[dict]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            fresh = [Video(v.frames.copy(), v.fps, dict(v.meta)) for v in videos]
            t0 = time.perf_counter()
            _, info = fn(fresh, reqs)
            total = time.perf_counter() - t0
            times[name].append({"total": total} | {k.split("reward_")[1][:-2]: v for k, v in info.items()
                                                    if k.startswith("time/reward_")})
    out = []
    for name, rows in times.items():
        keys = rows[0].keys()
        out.append({"config": name} | {k: 1000 * float(np.median([r[k] for r in rows])) / clips for k in keys})
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI smoke run")
    p.add_argument("--contexts", default=None, help="contexts.jsonl (default: build sample contexts)")
    p.add_argument("--steps", type=int, default=None, help="steps per pass")
    p.add_argument("--size", type=int, default=None, help="clip side (default 128; --quick 64)")
    p.add_argument("--frames", type=int, default=None, help="clip frames (default 16; --quick 8)")
    p.add_argument("--clips", type=int, default=None, help="clips for the reward costs (default 12; --quick 2)")
    p.add_argument("--rewards-only", action="store_true", help="only the per-reward costs")
    a = p.parse_args()
    steps = a.steps or (3 if a.quick else 16)
    size, frames = (64, 8) if a.quick else (128, 16)
    size, frames = a.size or size, a.frames or frames
    clips = a.clips or (2 if a.quick else 12)

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
        costs = reward_costs(contexts, size, frames, clips)
        print_costs(costs, size, frames, clips)
        if a.rewards_only:
            return
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


def print_costs(costs: list[dict], size: int, frames: int, clips: int) -> None:
    names = [k for k in ("steps", "quality", "face", "expression", "naturalness", "total")
             if any(k in c for c in costs)]
    print(f"reward cost, ms per clip ({clips} warp clips, {size}px x {frames} frames, median of 3 "
          f"interleaved rounds):")
    print(f"{'rewards':<10}" + "".join(f"{n:>13}" for n in names))
    for c in costs:
        print(f"{c['config']:<10}" + "".join(f"{c[n]:>13.1f}" if n in c else f"{'-':>13}" for n in names))
    before, now = costs[0]["total"], costs[1]["total"]
    print(f"reward cost per clip now / before: {now / before:.2f}x")


if __name__ == "__main__":
    main()
