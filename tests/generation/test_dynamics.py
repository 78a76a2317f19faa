"""Timing of a warp clip: onset that follows the policy's curve, blinks, head motion."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from argen_rl.generation.dynamics import (
    apex_frame, blink_closure, follow_curve, head_motion, image_step_share, largest_step_share,
    onset_frames_for,
)
from argen_rl.generation.params import intensity_curve
from argen_rl.policy.actions import ActionSpace

SPACE = ActionSpace()


@pytest.mark.parametrize("a,b", list(itertools.product(SPACE.a, SPACE.b)))
def test_every_action_curve_is_followed_without_a_big_step(a, b):
    curve = intensity_curve(16, a, b)
    e = follow_curve(curve, onset_frames_for(0.5, 8.0))
    assert e[0] == 0.0 and e.max() == pytest.approx(1.0)
    assert largest_step_share(e) <= 0.34
    assert e[1] <= 0.2                      # eased in: the first step is the smallest kind
    if largest_step_share(curve) <= 0.2:    # a slow curve is the curve (up to rescaling)
        np.testing.assert_allclose(e, curve / curve.max(), atol=0.1)


def test_jump_becomes_an_eased_ramp():
    e = follow_curve(intensity_curve(16, 1.0, 1.0), 4)
    np.testing.assert_allclose(e[:6], [0, 0.125, 0.375, 0.625, 0.875, 1.0])
    assert apex_frame(e) == 5 and np.all(e[5:] == 1.0)


def test_short_clips_grow_the_onset_until_no_step_is_more_than_half():
    for a, b in itertools.product(SPACE.a, SPACE.b):
        assert largest_step_share(follow_curve(intensity_curve(8, a, b), 4)) <= 0.5
    np.testing.assert_array_equal(follow_curve(intensity_curve(16, 1, 4), 1), intensity_curve(16, 1, 4))


def test_blinks_are_seeded_poisson_and_spare_the_reference_and_apex():
    fps, frames = 8.0, 16
    same = blink_closure(np.random.default_rng(3), frames, fps, 17.0, 0.3, keep_open=(0, 7))
    np.testing.assert_array_equal(same, blink_closure(np.random.default_rng(3), frames, fps, 17.0, 0.3, keep_open=(0, 7)))
    blinking, counts, lengths = 0, [], []
    for seed in range(400):
        c = blink_closure(np.random.default_rng(seed), frames, fps, 17.0, 0.3, keep_open=(0, 7))
        assert c.min() >= 0.0 and c.max() <= 1.0 and c[0] == 0.0 and c[7] == 0.0
        blinking += c.max() > 0
        runs = np.diff(np.flatnonzero(np.diff(np.r_[0, c > 0, 0])))[::2]
        counts.append(len(runs))
        lengths += runs.tolist()
    # a 0.3 s blink spans at most 3 frames at 8 fps (two back-to-back blinks merge into one run)
    assert np.mean(lengths) <= 3.0 and max(lengths) <= 6
    # 17 / min over 2 s is 0.57 expected blinks; dropping those that touch frames 0 / 7 leaves fewer
    assert 0.2 < np.mean(counts) < 0.6 and blinking > 60
    assert not blink_closure(np.random.default_rng(0), frames, fps, 0.0, 0.3).any()


def test_head_motion_is_zero_at_the_reference_and_bounded():
    for seed in range(20):
        h = head_motion(np.random.default_rng(seed), 16, 1.5, 2.0)
        assert np.all(h[0] == 0.0)
        assert np.abs(np.degrees(h[:, 0])).max() <= 3.0 + 1e-9     # |sin - sin| <= 2 x amplitude
        assert np.abs(h[:, 1:]).max() <= 4.0 + 1e-9
        # smooth: at most 1.5 cycles per clip -> slope <= 2 pi 1.5 / 15 x amplitude per frame
        assert np.abs(np.diff(h[:, 1:], axis=0)).max() <= 2 * np.pi * 1.5 / 15 * 2.0 + 1e-9


def test_image_step_share_of_a_real_ramp(grace_hopper):
    import cv2

    img = cv2.resize(grace_hopper, (128, 128))
    dark = (img * 0.5).astype(np.uint8)
    ramp = np.stack([cv2.addWeighted(img, 1 - t, dark, t, 0) for t in np.linspace(0, 1, 5)])
    assert image_step_share(ramp) == pytest.approx(0.25, abs=0.02)
    jump = np.stack([img, dark, dark, dark])
    assert image_step_share(jump) == pytest.approx(1.0)
    assert image_step_share(np.stack([img, img])) == 0.0
