"""r_E (ARGen Eq. 17): the amplitude tent and the experts' target agreement, pure and on real warped face videos."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.rewards.expression import amplitude_score, target_agreement


def test_amplitude_tent_known_values():
    A_max = 4.0
    # per-frame AU vectors with L2 norms 0, 2, 4, 6, 8, 12  ->  u = 0, .5, 1, 1.5, 2, 3
    norms = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 12.0])
    aus = np.zeros((6, 14))
    aus[:, 0] = norms * 0.6
    aus[:, 3] = norms * 0.8
    per_frame = [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    for f, expected in enumerate(per_frame):
        score, n = amplitude_score(aus[f:f + 1], A_max)
        assert score == pytest.approx(expected)
        assert n[0] == pytest.approx(norms[f])
    score, _ = amplitude_score(aus, A_max)
    assert score == pytest.approx(np.mean(per_frame))


def test_amplitude_unmeasurable_frames_score_zero():
    aus = np.full((4, 14), 0.0)
    aus[:, 2] = 4.0
    aus[1] = np.nan
    score, _ = amplitude_score(aus, A_max=4.0)
    assert score == pytest.approx(0.75)


class _Expert:
    def __init__(self, name, probs=None, abstains=frozenset()):
        self.name, self.probs, self.abstains = name, probs, abstains

    def predict(self, frames):
        from argen_rl.calibration.experts import UnjudgeableClip

        if self.probs is None:
            raise UnjudgeableClip("no face")
        return np.asarray(self.probs)


def test_agreement_is_the_mean_target_probability_of_the_experts_that_can_read():
    from argen_rl.types import Emotion

    frames = np.zeros((3, 8, 8, 3), np.uint8)
    p1 = np.array([0.1, 0.0, 0.1, 0.0, 0.6, 0.2, 0.0])     # EMOTIONS7: surprise is index 4
    p2 = np.array([0.0, 0.0, 0.8, 0.0, 0.2, 0.0, 0.0])
    per = {"a": np.full(1, np.nan), "b": np.full(1, np.nan), "c": np.full(1, np.nan)}
    experts = [_Expert("a", p1), _Expert("b", p2), _Expert("c")]           # c cannot read the clip
    assert target_agreement(experts, frames, Emotion.SURPRISE, per) == pytest.approx(0.4)
    assert per["a"][0] == pytest.approx(0.6) and per["b"][0] == pytest.approx(0.2) and np.isnan(per["c"][0])
    assert target_agreement(experts, frames, Emotion.DISGUST) == pytest.approx(0.1)
    assert target_agreement([_Expert("c")], frames, Emotion.SURPRISE) == 0.0   # nobody can read it
    # an expert that cannot recognise disgust (calibration's abstain) does not vote on it, and
    # votes as before on every other target
    blind = [_Expert("a", p1), _Expert("b", p2, frozenset({Emotion.DISGUST}))]
    assert target_agreement(blind, frames, Emotion.DISGUST) == pytest.approx(0.2)
    assert target_agreement(blind, frames, Emotion.SURPRISE) == pytest.approx(0.4)


# --- on real face videos made by the warp generator ---------------------------------------------

@pytest.fixture(scope="module")
def surprise_videos(grace_hopper):
    """Warp clips of the real photo with every surprise AU at FACS 0 / 2.5 (moderate) / 5 (maximum)."""
    from argen_rl.asi.kb import load_kb
    from argen_rl.generation.registry import make_generator
    from argen_rl.types import Emotion, GenParams, GenRequest

    aus = load_kb().emotion_aus("surprise")
    gen = make_generator("warp")
    reqs = [GenRequest(grace_hopper, "surprise", Emotion.SURPRISE, {au: s for au in aus},
                       GenParams(steps=8, a=1.0, b=1.0, size=256, seed=0)) for s in (0.0, 2.5, 5.0)]
    return gen.generate(reqs), reqs


def test_static_face_has_zero_amplitude(face256):
    from argen_rl.rewards import make_expression_reward
    from tests.rewards.reward_videos import make_request, static_video

    r, info = make_expression_reward(agreement_weight=0.0)([static_video(face256)], [make_request(face256)])
    assert r[0] == 0.0 and info["expression/peak_au_norm"][0] == 0.0
    # with the default agreement: a still neutral face is not read as surprise by the experts
    r, info = make_expression_reward()([static_video(face256)], [make_request(face256)])
    assert info["expression/amplitude"][0] == 0.0 and r[0] < 0.05


def test_exaggerated_expression_is_penalised_against_a_moderate_one(surprise_videos):
    from argen_rl.rewards import make_expression_reward

    videos, reqs = surprise_videos
    r, info = make_expression_reward(agreement_weight=0.0)(videos, reqs)   # Eq. 17 alone
    none, moderate, exaggerated = r
    peaks = info["expression/peak_au_norm"]
    assert peaks[2] > 8.5 > peaks[0]             # the maximum overshoots A_max, no-AU stays below
    assert moderate > exaggerated + 0.05         # exaggeration costs reward (0.83 vs 0.74 with pls)
    assert moderate > none + 0.3                 # and a barely moving face earns little
    assert 0.0 <= r.min() and r.max() <= 1.0


def test_agreement_prefers_the_target_emotion(surprise_videos):
    from argen_rl.asi.kb import load_kb
    from argen_rl.rewards import make_expression_reward
    from argen_rl.types import Emotion, GenRequest

    videos, reqs = surprise_videos
    happy = {au: 3.0 for au in load_kb().emotion_aus("happy")}
    as_happy = [GenRequest(q.image, q.prompt, Emotion.HAPPY, happy, q.params) for q in reqs]
    fn = make_expression_reward(agreement_weight=1.0)
    r_sur, info_sur = fn(videos[1:], reqs[1:])
    r_hap, _ = fn(videos[1:], as_happy[1:])
    assert np.all(r_sur > r_hap + 0.1), (r_sur, r_hap)
    np.testing.assert_allclose(r_sur, info_sur["expression/agreement"])
    # the agreement is the experts' mean probability of the target, each expert named in info
    np.testing.assert_allclose(r_sur, (info_sur["expression/p_fer"] + info_sur["expression/p_au"]) / 2)
    # no target AUs (neutral): amplitude only, agreement not defined
    neutral = [GenRequest(q.image, q.prompt, Emotion.NEUTRAL, {}, q.params) for q in reqs[1:2]]
    r_neu, info_neu = fn(videos[1:2], neutral)
    assert np.isnan(info_neu["expression/agreement"][0])
    assert r_neu[0] == pytest.approx(info_neu["expression/amplitude"][0])


def test_default_composite_scores_real_warp_clips(surprise_videos):
    from argen_rl.rewards import CompositeReward, RewardConfig

    videos, reqs = surprise_videos
    cfg = RewardConfig()
    scores, info = CompositeReward.from_config(cfg)(videos, reqs)
    parts = {n: info[f"reward/{n}"] for n in ("steps", "quality", "face", "expression", "naturalness")}
    assert set(cfg.weights) == set(parts)                                # every default component reported
    np.testing.assert_allclose(scores, sum(cfg.weights[n] * parts[n] for n in parts))
    np.testing.assert_array_equal(parts["face"], 1.0)                    # a face in every warped frame
    np.testing.assert_allclose(parts["steps"], 1 - 8 / cfg.S_max)
    assert np.all(parts["quality"] > 0.8)                                # sharp, smooth clips
    assert scores[0] < min(scores[1:]) - 0.1                             # no expression loses clearly
    # r_E's parts: the amplitude tent ranks the moderate clip first (Eq. 17); the experts read both
    # surprises as surprise (~0.35), the still face not at all
    amp, agree = info["expression/amplitude"], info["expression/agreement"]
    assert amp[1] > amp[2] and min(agree[1:]) > agree[0] + 0.2
    np.testing.assert_allclose(parts["expression"], 0.5 * amp + 0.5 * agree)
