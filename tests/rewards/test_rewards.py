"""Rewards r_T, r_Q, r_F, composite and registry on hand-built videos whose right scores are known."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from tests.rewards.reward_videos import make_request, static_video

from argen_rl.rewards import (CompositeReward, RewardConfig, make_face_reward, make_quality_reward,
                              make_reward, make_steps_reward)
from argen_rl.rewards.quality import saturate
from argen_rl.types import Video


# --- r_T (Eq. 14) -------------------------------------------------------------------------------

def test_steps_reward_is_unused_fraction_of_budget(face256):
    fn = make_steps_reward(S_max=50)
    reqs = [make_request(face256, steps=s) for s in (1, 10, 25, 50)]
    vids = [static_video(face256, 2)] * 4
    r, info = fn(vids, reqs)
    np.testing.assert_allclose(r, [0.98, 0.8, 0.5, 0.0])
    np.testing.assert_array_equal(info["steps/S"], [1, 10, 25, 50])


def test_steps_reward_rejects_steps_beyond_budget_and_unpaired_inputs(face256):
    fn = make_steps_reward(S_max=20)
    with pytest.raises(ValueError, match="exceed S_max=20"):
        fn([static_video(face256, 2)], [make_request(face256, steps=30)])
    with pytest.raises(ValueError, match="must pair up"):
        fn([static_video(face256, 2)] * 2, [make_request(face256)])
    with pytest.raises(ValueError, match="S_max"):
        make_steps_reward(0)


# --- r_Q (Eq. 15) -------------------------------------------------------------------------------

def test_quality_static_face_video_has_ssim_one(face256):
    r, info = make_quality_reward(lam=0.5)([static_video(face256)], [make_request(face256)])
    assert info["quality/ssim"][0] == pytest.approx(1.0)
    # r_Q is exactly the Eq. 15 mix of its two parts
    assert r[0] == pytest.approx(0.5 * info["quality/frame_q"][0] + 0.5 * 1.0)
    assert info["quality/frame_q"][0] > 0.8   # sharp, contrasted real photo


def test_quality_flat_grey_video_scores_only_its_consistency():
    flat = np.full((64, 64, 3), 128, np.uint8)
    for lam in (0.0, 0.3, 1.0):
        r, info = make_quality_reward(lam=lam)([static_video(flat, 8)], [make_request(flat)])
        assert info["quality/frame_q"][0] == pytest.approx(0.0)   # no sharpness, no contrast
        assert r[0] == pytest.approx(1.0 - lam)                    # SSIM of identical frames = 1


def test_quality_flicker_lowers_ssim(face256):
    rng = np.random.default_rng(0)
    frames = []
    for f in range(16):  # every other frame: the face shifted and mixed with strong noise
        if f % 2:
            noisy = np.roll(face256, 24, axis=1).astype(np.int16) + rng.integers(-90, 90, face256.shape)
            frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
        else:
            frames.append(face256)
    fn = make_quality_reward(lam=0.5)
    r_flicker, info_f = fn([Video(np.stack(frames))], [make_request(face256)])
    r_static, _ = fn([static_video(face256)], [make_request(face256)])
    assert info_f["quality/ssim"][0] < 0.3
    assert r_flicker[0] < r_static[0] - 0.3


def test_quality_blur_lowers_frame_quality(face256):
    blurred = cv2.GaussianBlur(face256, (0, 0), 3)
    fn = make_quality_reward(lam=1.0)  # frame quality only
    r, info = fn([static_video(face256, 4), static_video(blurred, 4)], [make_request(face256)] * 2)
    assert info["quality/sharpness"][1] < 0.05 * info["quality/sharpness"][0]
    assert r[1] < r[0] - 0.3
    # the saturating map behind q_f: documented anchor points
    assert saturate(0.0, 100.0) == 0.0
    assert saturate(100.0, 100.0) == pytest.approx(1 - np.exp(-1))


def test_quality_rejects_bad_lam_and_single_frame(face256):
    with pytest.raises(ValueError, match="lam"):
        make_quality_reward(lam=1.5)
    with pytest.raises(ValueError, match="needs >= 2"):
        make_quality_reward()([Video(face256[None])], [make_request(face256)])


# --- r_F (Eq. 16) -------------------------------------------------------------------------------

def test_face_reward_real_face_is_one_blank_is_zero_half_is_half(face256):
    blank = np.full_like(face256, 90)
    half = np.stack([face256 if f < 8 else blank for f in range(16)])
    vids = [static_video(face256), static_video(blank), Video(half)]
    r, info = make_face_reward()(vids, [make_request(face256)] * 3)
    np.testing.assert_allclose(r, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(info["face/first_missing_frame"], [-1, 0, 8])


def test_face_reward_face_cropped_out(face256):
    # keep only the top-left background corner of the photo (no face), scaled to full size
    corner = cv2.resize(face256[:70, :70], (256, 256), interpolation=cv2.INTER_LINEAR)
    r, _ = make_face_reward()([static_video(corner, 4)], [make_request(face256)])
    assert r[0] == 0.0


# --- registry and composite ---------------------------------------------------------------------

def test_make_reward_registry_errors_are_clear():
    with pytest.raises(ValueError, match="unknown reward 'speed'.*steps, quality, face, expression"):
        make_reward("speed", {})
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['lambda'\]"):
        make_reward("quality", {"lambda": 0.5})
    assert callable(make_reward("steps", {"S_max": 10}))


def test_composite_is_weighted_sum_and_skips_zero_weights(face256):
    weights = {"steps": 0.25, "quality": 0.75, "face": 0.0, "expression": 0.0}
    comp = CompositeReward(weights, {"steps": {"S_max": 20}, "quality": {"lam": 0.5}})
    assert set(comp.fns) == {"steps", "quality"}   # face / expression never built
    blurred = cv2.GaussianBlur(face256, (0, 0), 3)
    vids = [static_video(face256, 4), static_video(blurred, 4)]
    reqs = [make_request(face256, steps=5), make_request(face256, steps=15)]
    scores, info = comp(vids, reqs)
    assert "reward/face" not in info and "reward/expression" not in info
    np.testing.assert_allclose(info["reward/steps"], [0.75, 0.25])
    np.testing.assert_allclose(scores, 0.25 * info["reward/steps"] + 0.75 * info["reward/quality"])
    assert info["time/reward_quality_s"] >= 0


def test_composite_rejects_bad_weights():
    with pytest.raises(ValueError, match="unknown reward"):
        CompositeReward({"beauty": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        CompositeReward({"steps": -1.0})
    with pytest.raises(ValueError, match="all reward weights are 0"):
        CompositeReward({"steps": 0.0})


def test_reward_config_builds_composite_and_rejects_typos():
    from argen_rl.config import ConfigError, validate_config

    cfg = validate_config({"weights": {"steps": 1.0, "face": 1.0}, "S_max": 30}, RewardConfig)
    comp = CompositeReward.from_config(cfg)
    assert set(comp.fns) == {"steps", "face"}
    with pytest.raises(ConfigError, match="S_maxx: unknown key"):
        validate_config({"S_maxx": 3}, RewardConfig)
