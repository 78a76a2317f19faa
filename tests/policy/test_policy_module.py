"""The three-headed RLModule (ARGen Eq. 13) and greedy loading from a saved module."""
from __future__ import annotations

import os

import gymnasium as gym
import numpy as np
import pytest
import torch

from ray.rllib.core.columns import Columns

from argen_rl.policy.actions import ActionSpace
from argen_rl.policy.greedy import GreedyPolicy, load_policy
from argen_rl.policy.module import ArgenPolicyModule

SPACE = ActionSpace()
OBS = gym.spaces.Box(-np.inf, np.inf, (384 + 64,), np.float32)


def make_module(**cfg):
    return ArgenPolicyModule(observation_space=OBS, action_space=SPACE.gym_space(),
                             model_config={"text_dim": 384, "d_model": 32, "hidden": 64, **cfg})


def test_forward_gives_concatenated_head_logits_and_values():
    m = make_module()
    obs = torch.randn(5, OBS.shape[0])
    out = m.forward_train({Columns.OBS: obs})
    logits = out[Columns.ACTION_DIST_INPUTS]
    assert logits.shape == (5, sum(SPACE.nvec))
    heads = m.head_logits(obs)
    assert torch.allclose(logits, torch.cat(heads, -1))
    assert m.compute_values({Columns.OBS: obs}).shape == (5,)


def test_log_likelihood_is_the_sum_of_the_three_heads():
    """ARGen Eq. 21: log pi(S,a,b|s) = log pi_S + log pi_a + log pi_b."""
    m = make_module()
    obs = torch.randn(3, OBS.shape[0])
    logits = m.forward_train({Columns.OBS: obs})[Columns.ACTION_DIST_INPUTS]
    dist = m.get_train_action_dist_cls().from_logits(logits)
    actions = torch.tensor([[0, 1, 2], [3, 0, 0], [2, 2, 1]])
    heads = m.head_logits(obs)
    expect = sum(torch.log_softmax(h, -1).gather(1, actions[:, i:i + 1]).squeeze(1)
                 for i, h in enumerate(heads))
    assert torch.allclose(dist.logp(actions), expect, atol=1e-6)
    s = dist.sample()
    assert s.shape == (3, 3) and all(SPACE.gym_space().contains(r.numpy()) for r in s)


def test_both_modalities_reach_every_head():
    """Self-attention fusion: changing only the text part or only the image part moves the logits."""
    m = make_module()
    obs = torch.randn(1, OBS.shape[0])
    base = torch.cat(m.head_logits(obs), -1)
    t = obs.clone(); t[:, :384] = torch.randn(1, 384)
    i = obs.clone(); i[:, 384:] = torch.randn(1, 64)
    assert not torch.allclose(base, torch.cat(m.head_logits(t), -1))
    assert not torch.allclose(base, torch.cat(m.head_logits(i), -1))


def test_text_dim_must_split_the_observation():
    with pytest.raises(ValueError, match="text_dim"):
        make_module(text_dim=448)


def test_greedy_is_argmax_per_head_and_loads_from_a_saved_module(tmp_path):
    m = make_module()
    with torch.no_grad():            # make head argmaxes known: bias one element per head
        m.head_steps.bias[:] = torch.tensor([0., 0., 50., 0.])
        m.head_a.bias[:] = torch.tensor([50., 0., 0.])
        m.head_b.bias[:] = torch.tensor([0., 0., 50.])
    obs = np.random.default_rng(0).normal(size=OBS.shape[0]).astype(np.float32)
    assert GreedyPolicy(m, SPACE).act(obs) == (12, 1.0, 4.0)
    m.save_to_path(str(tmp_path / "module"))
    loaded = load_policy(tmp_path / "module", SPACE)
    cwd = os.getcwd()
    try:                                   # a relative path works too
        os.chdir(tmp_path)
        assert load_policy("module", SPACE).act(obs) == (12, 1.0, 4.0)
    finally:
        os.chdir(cwd)
    assert loaded.act(obs) == (12, 1.0, 4.0)
    batch = np.stack([obs, obs])
    assert loaded.act_indices(batch).tolist() == [[2, 0, 2], [2, 0, 2]]
    probs = loaded.probs(obs)
    assert [len(p) for p in probs] == list(SPACE.nvec)
    assert all(abs(p.sum() - 1) < 1e-5 for p in probs)
    with pytest.raises(FileNotFoundError):
        load_policy(tmp_path / "nothing")
