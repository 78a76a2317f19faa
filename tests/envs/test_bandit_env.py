"""ArgenBanditEnv on real contexts with the real warp generator and rewards (in-process scorer)."""
from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from argen_rl.asi.contexts import load_contexts
from argen_rl.rewards import topk_reward
from envs.bandit_env import ENV_ID, ArgenBanditEnv, observation, split_contexts


def env_config(contexts, **over):
    cfg = {"contexts": str(contexts), "generation": {"size": 64, "frames": 8},
           "rollout": {"num_actors": 0}}
    cfg.update(over)
    return cfg


def test_split_is_by_subject_disjoint_and_seeded(sample_contexts):
    ctxs = load_contexts(sample_contexts)
    train, held = split_contexts(ctxs, 0.2, seed=0)
    assert len(train) + len(held) == len(ctxs) and held and train
    assert not {c.subject for c in train} & {c.subject for c in held}
    assert [c.context_id for c in split_contexts(ctxs, 0.2, seed=0)[1]] == [c.context_id for c in held]
    assert split_contexts(ctxs, 0.0, seed=0) == (ctxs, [])


def test_explicit_heldout_subjects(sample_contexts):
    ctxs = load_contexts(sample_contexts)
    subject = ctxs[0].subject
    train, held = split_contexts(ctxs, 0.2, seed=0, heldout_subjects=[subject])
    assert {c.subject for c in held} == {subject} and subject not in {c.subject for c in train}
    with pytest.raises(ValueError, match="not subjects of the contexts"):
        split_contexts(ctxs, 0.2, seed=0, heldout_subjects=["nobody"])
    with pytest.raises(ValueError, match="nothing left to train on"):
        split_contexts(ctxs, 0.2, seed=0, heldout_subjects=sorted({c.subject for c in ctxs}))
    env = ArgenBanditEnv(env_config(sample_contexts, split="heldout", heldout_subjects=[subject]))
    assert {c.subject for c in env.contexts} == {subject}


def test_action_table_shows_each_context_and_the_oracle_where_it_differs():
    from argen_rl.train.evaluate import action_table

    rows = [{"context_id": "a-surprise", "subject": "a", "emotion": "surprise", "greedy": [4, 2.0, 2.0], "oracle": [4, 2.0, 2.0]},
            {"context_id": "b-surprise", "subject": "b", "emotion": "surprise", "greedy": [4, 2.0, 2.0], "oracle": [8, 1.0, 1.0]},
            {"context_id": "a-fear", "subject": "a", "emotion": "fear", "greedy": [8, 1.0, 2.0], "oracle": None}]
    table = action_table(rows).splitlines()
    assert table[0] == "| emotion | a | b |"
    assert table[2] == "| fear | 8/1/2 | - |"
    assert table[3] == "| surprise | 4/2/2 | 4/2/2 (oracle 8/1/1) |"


def test_one_step_episode_with_every_reward_component(sample_contexts):
    env = ArgenBanditEnv(env_config(sample_contexts))
    assert isinstance(env.action_space, gym.spaces.MultiDiscrete)
    obs, info = env.reset(seed=3)
    ctx = next(c for c in env.contexts if c.context_id == info["context_id"])
    assert env.observation_space.contains(obs)
    assert np.allclose(obs, np.concatenate([ctx.text_emb, ctx.image_emb]))
    obs2, reward, terminated, truncated, info = env.step(np.array([0, 1, 1]))
    assert terminated and not truncated
    for key in ("reward/composite", "reward/steps", "reward/quality", "reward/face",
                "reward/expression", "reward/topk", "pool/rank", "action/steps", "cache/hit_rate",
                "time/generate_s"):
        assert key in info, key
    assert (info["action/steps"], info["action/a"], info["action/b"]) == (4, 2.0, 2.0)
    assert info["reward/steps"] == pytest.approx(1 - 4 / 16)            # ARGen Eq. 14
    assert 0.0 <= info["reward/quality"] <= 1.0 and 0.0 <= info["reward/face"] <= 1.0
    # Eq. 18: the reward is the policy candidate's composite iff it ranks in the top k
    if info["pool/rank"] <= env.cfg.reward.k:
        assert reward == pytest.approx(info["reward/composite"])
    else:
        assert reward == -env.cfg.reward.delta
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.array([0, 1, 1]))


def test_pool_ranking_matches_topk_rule_and_cache_makes_repeats_free(sample_contexts):
    env = ArgenBanditEnv(env_config(sample_contexts, pool_size=4))
    ctx = env.contexts[0]
    actions = env.space.all_actions()[[0, 5, 17, 35]]
    seed = 11
    first = env.evaluate_pool(ctx, actions, seed)
    assert first.hits == 0 and len(first.rewards) == 4
    again = env.evaluate_pool(ctx, actions, seed)
    assert again.hits == 4
    assert [r["reward/composite"] for r in again.rewards] == [r["reward/composite"] for r in first.rewards]
    scores = np.array([r["reward/composite"] for r in first.rewards])
    best = int(np.argmax(scores))
    assert topk_reward(scores, best, 1, 0.1) == pytest.approx(scores.max())
    worst = int(np.argmin(scores))
    if scores[worst] < np.sort(scores)[-2]:
        assert topk_reward(scores, worst, 2, 0.1) == -0.1


def test_steps_change_reward_and_seed_reproduces(sample_contexts):
    env = ArgenBanditEnv(env_config(sample_contexts, rollout={"num_actors": 0, "cache": False}))
    ctx = env.contexts[0]
    few, many = np.array([0, 1, 1]), np.array([3, 1, 1])
    r1 = env.evaluate_pool(ctx, np.stack([few, many]), 5).rewards
    r2 = env.evaluate_pool(ctx, np.stack([few, many]), 5).rewards
    assert r1[0]["reward/steps"] > r1[1]["reward/steps"]
    assert r1[0]["reward/composite"] == pytest.approx(r2[0]["reward/composite"])


def test_registered_with_gymnasium_and_bad_config_is_clear(sample_contexts):
    env = gym.make(ENV_ID, config=env_config(sample_contexts, split="heldout"))
    obs, _ = env.reset(seed=0)
    assert obs.shape == observation(env.unwrapped.contexts[0]).shape
    with pytest.raises(Exception, match="pool_size"):
        ArgenBanditEnv(env_config(sample_contexts, pool_size=99))
    with pytest.raises(Exception, match="pool_sise"):
        ArgenBanditEnv(env_config(sample_contexts, pool_sise=4))
