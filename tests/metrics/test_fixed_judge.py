"""The fixed judge of policies on real faces: an expression clip reads more as its label than a
still one, identity distances separate the same person from another one, naturalness sees no
expression in a still clip, set-level diversity is 0 for identical clips."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.rewards.timing import LITERATURE
from argen_rl.types import Emotion, GenParams, GenRequest, Video


@pytest.fixture(scope="module")
def clips():
    """A held-out real face (phone_man) at 128 px, 16 frames: surprise at FACS 2.5 (a = b = 2) and
    the same face still; plus a clip whose frames switch to another held-out person."""
    from argen_rl.asi.kb import load_kb
    from argen_rl.data.wheel_faces import wheel_face
    from argen_rl.generation.registry import make_generator

    gen = make_generator("warp")
    face = np.array(wheel_face("phone_man").image)
    aus = {au: 2.5 for au in load_kb().emotion_aus("surprise")}
    surprise = gen.generate([GenRequest(face, "surprise", Emotion.SURPRISE, aus,
                                        GenParams(steps=8, a=2.0, b=2.0, frames=16, size=128, seed=0))])[0]
    still = Video(np.repeat(surprise.frames[:1], 16, axis=0), fps=surprise.fps)
    other = gen.generate([GenRequest(np.array(wheel_face("group_left_woman").image), "surprise", Emotion.SURPRISE,
                                     aus, GenParams(steps=8, a=2.0, b=2.0, frames=16, size=128, seed=0))])[0]
    swapped = Video(np.concatenate([surprise.frames[:8], other.frames[8:]]), fps=surprise.fps)
    return {"surprise": surprise, "still": still, "swapped": swapped}


def test_expression_clip_reads_more_as_its_label_than_a_still_face(clips):
    from argen_rl.metrics.fixed_judge import JUDGE_KEYS, judge_clip

    t = LITERATURE[Emotion.SURPRISE]
    moving = judge_clip(clips["surprise"], Emotion.SURPRISE, t, thumb_size=32)
    still = judge_clip(clips["still"], Emotion.SURPRISE, t, thumb_size=32)
    assert set(JUDGE_KEYS) <= set(moving)
    assert moving["judge/p_apex"] > still["judge/p_apex"] + 0.2, (moving, still)
    assert moving["judge/p_clip"] > still["judge/p_clip"] and moving["judge/read"] == 1.0
    assert moving["thumb"].shape == (16, 32, 32, 3) and moving["thumb"].dtype == np.uint8
    # a still clip shows no expression: frozen from start to end; identical frames: distance 0.
    # The a = b = 2 surprise eases in and out; the mesh's landmark noise (0.019 IOD a frame) makes
    # its slow crest read as ~1.1 s held, a little over surprise's 1 s bound.
    assert still["judge/naturalness"] == 0.0 and moving["judge/naturalness"] >= 0.75
    assert still["identity/shape"] == pytest.approx(0.0, abs=1e-6)
    assert still["identity/colour"] == pytest.approx(0.0, abs=1e-6)


def test_identity_distances_separate_another_person(clips):
    from argen_rl.metrics.fixed_judge import judge_clip

    t = LITERATURE[Emotion.SURPRISE]
    same = judge_clip(clips["surprise"], Emotion.SURPRISE, t)
    swapped = judge_clip(clips["swapped"], Emotion.SURPRISE, t)
    # an expression leaves the forehead, temples, nose bridge and eye corners in place
    assert same["identity/shape"] < 0.05
    assert swapped["identity/shape"] > 2 * same["identity/shape"]
    assert swapped["identity/colour"] > same["identity/colour"]


def test_set_metrics_diversity():
    from argen_rl.metrics.fixed_judge import set_metrics

    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    b = rng.integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    assert set_metrics([a, a.copy()], ["x", "y"])["diversity/ssim"] == pytest.approx(0.0, abs=1e-9)
    assert set_metrics([a, b], ["x", "y"])["diversity/ssim"] > 0.5
    assert "fvd" not in set_metrics([a, b], ["x", "y"])            # no I3D model: not computed
