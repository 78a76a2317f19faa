"""The held-out judge (facex's tflite) on real photos that ship in installed wheels."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.data.wheel_faces import wheel_face
from argen_rl.metrics.judge import FACEX_CLASSES, FACEX_TO_EMOTIONS7, held_out_judge
from argen_rl.types import EMOTIONS7, Emotion


@pytest.fixture(scope="module")
def judge():
    return held_out_judge()


def test_class_order_maps_every_facex_class_once():
    assert sorted(FACEX_TO_EMOTIONS7) == list(range(7))
    names = {"anger": "angry", "sadness": "sad", "surprised": "surprise"}
    for e, i in zip(EMOTIONS7, FACEX_TO_EMOTIONS7):
        assert names.get(FACEX_CLASSES[i], FACEX_CLASSES[i]) == e.value


@pytest.mark.parametrize("name, label", [("posed_surprise", Emotion.SURPRISE), ("posed_happy", Emotion.HAPPY),
                                         ("posed_anger", Emotion.ANGRY), ("phone_man", Emotion.NEUTRAL)])
def test_reads_real_expressions(judge, name, label):
    probs = judge.predict_proba([wheel_face(name).image])
    assert probs.shape == (1, 7) and np.isclose(probs.sum(), 1.0, atol=1e-3)
    assert EMOTIONS7[int(probs[0].argmax())] is label


def test_read_clip_finds_the_apex_and_reports_the_start(judge):
    neutral, surprise = wheel_face("phone_man").image, wheel_face("posed_surprise").image
    import cv2

    s = cv2.resize(surprise, neutral.shape[1::-1])
    clip = np.stack([neutral, neutral, s, neutral])
    r = judge.read_clip(clip, "surprise")
    assert r.apex == 2 and r.reads_at_apex and not r.top[0] is Emotion.SURPRISE
    assert r.p_apex > 0.9 > r.p_start and r.face_found.all()
    assert judge.read_clip(clip, "surprise", apex=0).reads_at_apex is False


def test_rejects_non_rgb_frames(judge):
    with pytest.raises(ValueError, match="uint8 HxWx3"):
        judge.predict_proba([np.zeros((64, 64), np.uint8)])
