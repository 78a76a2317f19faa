"""The generator deployment's batch logic without Ray: fixed action, greedy policy, per-job failures."""
from __future__ import annotations

import json

import numpy as np
import pytest

from argen_rl.types import Emotion
from serve.app import AugmentJob, GeneratorDeployment
from serve.settings import ServeConfig


def _deployment(**cfg):
    return GeneratorDeployment.func_or_class(ServeConfig(**cfg))   # the plain class behind @serve.deployment


def test_fixed_action_batch_and_a_faceless_job_fails_alone(grace_hopper, tmp_path):
    from argen_rl.video_io import read_video

    d = _deployment(fixed_action={"steps": 5, "a": 3.0, "b": 1.5, "size": 128})
    blank = np.full((200, 200, 3), 120, np.uint8)
    ok, bad = d._generate_batch([AugmentJob(grace_hopper, Emotion.SURPRISE, 2, 40),
                                 AugmentJob(blank, Emotion.FEAR, 1, 1)])
    assert bad.error and bad.status == 422 and not bad.clips
    assert ok.error is None and [c.name for c in ok.clips] == ["argen_surprise_seed40", "argen_surprise_seed41"]
    prov = ok.clips[0].provenance
    assert (prov["params"]["steps"], prov["params"]["a"], prov["params"]["b"]) == (5, 3.0, 1.5)
    assert prov["target_aus"] and "surprise" in prov["prompt"] and prov["policy_checkpoint"] is None
    json.dumps(prov)  # provenance is plain JSON
    (tmp_path / "c.mp4").write_bytes(ok.clips[0].mp4)
    assert read_video(tmp_path / "c.mp4")[0].shape == (16, 128, 128, 3)


def test_policy_checkpoint_chooses_the_action(grace_hopper, tmp_path):
    import gymnasium as gym
    import torch

    from argen_rl.asi.image_embed import GEOMETRY_POINTS
    from argen_rl.policy.actions import ActionSpace
    from argen_rl.policy.module import ArgenPolicyModule

    space = ActionSpace()
    obs_dim = 384 + 128 + 2 * len(GEOMETRY_POINTS)   # MiniLM text + FER features + face geometry
    m = ArgenPolicyModule(observation_space=gym.spaces.Box(-np.inf, np.inf, (obs_dim,), np.float32),
                          action_space=space.gym_space(), model_config={"text_dim": 384, "d_model": 32, "hidden": 64})
    with torch.no_grad():   # a policy whose greedy action is known: bias one element of each head
        for head, i in ((m.head_steps, len(space.steps) - 1), (m.head_a, 0), (m.head_b, len(space.b) - 1)):
            head.bias.zero_()
            head.bias[i] = 50.0
    m.save_to_path(str(tmp_path / "module"))
    d = _deployment(policy_checkpoint=str(tmp_path / "module"), fixed_action={"size": 128})
    (res,) = d._generate_batch([AugmentJob(grace_hopper, Emotion.DISGUST, 1, 0)])
    p = res.clips[0].provenance["params"]
    assert (p["steps"], p["a"], p["b"]) == (space.steps[-1], space.a[0], space.b[-1])


def test_missing_policy_checkpoint_fails_at_start(tmp_path):
    with pytest.raises(FileNotFoundError, match="no RLModule checkpoint"):
        _deployment(policy_checkpoint=str(tmp_path / "nope"))
