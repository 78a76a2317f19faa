"""Generator actors on Ray: shared pool + cache, and a killed actor mid-evaluation."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from envs.bandit_env import ArgenBanditEnv
from envs.config import EnvConfig
from envs.rollout import RolloutPool

pytestmark = pytest.mark.ray


def config(contexts, prefix, **rollout):
    return {"contexts": str(contexts), "generation": {"size": 64, "frames": 8},
            "rollout": {"num_actors": 2, "num_cpus": 0, "prefix": prefix, **rollout}}


def test_pool_is_shared_by_envs_and_cache_hits_across_them(sample_contexts, ray_local):
    cfg = config(sample_contexts, "t-shared")
    pool = RolloutPool.launch(EnvConfig.model_validate(cfg))
    try:
        a, b = ArgenBanditEnv(cfg), ArgenBanditEnv(cfg)   # two "env runners" on one pool
        ctx = a.contexts[0]
        actions = a.space.all_actions()[[1, 9, 20, 33]]
        first = a.evaluate_pool(ctx, actions, seed=3)
        assert first.hits == 0
        second = b.evaluate_pool(ctx, actions, seed=3)    # other env, same candidates: free
        assert second.hits == 4
        assert [r["reward/composite"] for r in second.rewards] == [r["reward/composite"] for r in first.rewards]
        assert pool.cache_stats()["cache/size"] == 4
        # the whole pool went to one actor in one call; the next pool goes to the other one
        per_actor = [ray_local.get(x.stats.remote())["calls"] for x in pool.actors]
        assert sorted(per_actor) == [0, 1]
        a.evaluate_pool(ctx, actions, seed=5)
        stats = [ray_local.get(x.stats.remote()) for x in pool.actors]
        assert [s["calls"] for s in stats] == [1, 1] and [s["candidates"] for s in stats] == [4, 4]
        assert a._pool.local_scorer is None and b._pool.local_scorer is None
    finally:
        pool.shutdown()


def test_killed_actor_mid_evaluation_is_restarted_and_every_candidate_scored(sample_contexts, ray_local):
    cfg = config(sample_contexts, "t-kill", cache=False, max_restarts=2, max_task_retries=2, dispatch="spread")
    pool = RolloutPool.launch(EnvConfig.model_validate(cfg))
    try:
        env = ArgenBanditEnv(cfg)
        ctx = env.contexts[1]
        actions = env.space.all_actions()[np.arange(0, 36, 3)]          # 12 candidates, 6 per actor
        reference = env.evaluate_pool(ctx, actions, seed=4).rewards
        victim = pool.actors[0]
        pid = ray_local.get(victim.stats.remote())["pid"]
        timer = threading.Timer(0.3, lambda: ray_local.kill(victim, no_restart=False))
        timer.start()
        t0 = time.time()
        again = env.evaluate_pool(ctx, actions, seed=4)
        timer.join()
        assert time.time() - t0 > 0.3, "the kill must land while candidates are in flight"
        assert len(again.rewards) == 12 and all(r is not None for r in again.rewards)
        assert [r["reward/composite"] for r in again.rewards] == pytest.approx(
            [r["reward/composite"] for r in reference])
        assert ray_local.get(victim.stats.remote())["pid"] != pid      # restarted
    finally:
        pool.shutdown()


def test_env_without_launched_actors_says_what_to_do(sample_contexts, ray_local):
    env = ArgenBanditEnv(config(sample_contexts, "t-missing"))
    env.reset(seed=0)
    with pytest.raises(RuntimeError, match="RolloutPool.launch"):
        env.step(np.array([0, 0, 0]))
