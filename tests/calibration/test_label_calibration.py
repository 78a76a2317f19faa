"""SynFER-style label calibration on real generated clips (warp generator on grace_hopper) and
the voting rules on fixed probability vectors."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.calibration import CalibrationConfig, LabelCalibrator, make_experts
from argen_rl.types import EMOTIONS7, Emotion


def _warp_clip(image, emotion: str, intensity: float, seed: int = 0) -> np.ndarray:
    from argen_rl.asi.kb import load_kb
    from argen_rl.generation.registry import make_generator
    from argen_rl.types import GenParams, GenRequest

    aus = load_kb().emotion_aus(emotion)
    req = GenRequest(image, emotion, Emotion.parse(emotion), {au: intensity for au in aus},
                     GenParams(steps=8, a=1.0, b=1.0, frames=16, size=128, seed=seed))
    return make_generator("warp").generate([req])[0].frames


@pytest.fixture(scope="module")
def clips(grace_hopper):
    """Real warp clips of a real neutral face: expressive surprise / happy, and a static one."""
    return {"surprise": _warp_clip(grace_hopper, "surprise", 3.0),
            "happy": _warp_clip(grace_hopper, "happy", 3.0),
            "static": _warp_clip(grace_hopper, "surprise", 0.0)}


@pytest.fixture(scope="module")
def calibrator():
    cfg = CalibrationConfig()             # fer + au, one agreeing expert keeps the clip
    return LabelCalibrator(make_experts(cfg), cfg)


def test_expressive_generated_clip_is_accepted(clips, calibrator):
    v = calibrator.judge(clips["surprise"], "surprise")
    assert v.accepted and v.final_label is Emotion.SURPRISE, v
    assert v.votes["au"] is True
    assert int(np.argmax(v.probs["au"])) == Emotion.SURPRISE.index
    assert v.reason == ""
    assert v.to_json()["final_label"] == "surprise"


def test_static_generated_clip_is_rejected(clips, calibrator):
    """Head motion only, no AU: every expert reads neutral, so the surprise label is disputed."""
    v = calibrator.judge(clips["static"], Emotion.SURPRISE)
    assert not v.accepted and v.final_label is None, v
    assert v.votes == {"fer": False, "au": False}
    assert int(np.argmax(v.probs["au"])) == Emotion.NEUTRAL.index
    assert "0 of 2 experts agree" in v.reason


def test_static_clip_is_neutral_for_every_label(clips, calibrator):
    """The AU expert's magnitude gate: a clip that barely moves never votes for an expression."""
    for e in EMOTIONS7:
        if e is not Emotion.NEUTRAL:
            assert not calibrator.judge(clips["static"], e).accepted, e


def test_relabel_mode_relabels_a_mislabelled_clip_and_reject_mode_drops_it(clips):
    smile = clips["happy"]
    reject = LabelCalibrator(make_experts(CalibrationConfig(experts=["au"])), CalibrationConfig(experts=["au"]))
    v = reject.judge(smile, "surprise")
    assert not v.accepted and v.final_label is None
    cfg = CalibrationConfig(experts=["au"], mode="relabel")
    v = LabelCalibrator(make_experts(cfg), cfg).judge(smile, "surprise")
    assert not v.accepted and v.final_label is Emotion.HAPPY and v.relabelled
    assert "relabelled to happy" in v.reason
    # a static clip is never relabelled (its ensemble argmax is neutral)
    assert LabelCalibrator(make_experts(cfg), cfg).judge(clips["static"], "surprise").final_label is None


def test_clip_without_a_face_is_rejected_with_a_reason(calibrator):
    noise = np.random.default_rng(0).integers(0, 256, (8, 96, 96, 3), dtype=np.uint8)
    v = calibrator.judge(noise, "fear")
    assert not v.accepted and v.final_label is None
    assert "no face" in v.reason


class FixedExpert:
    """A test double with fixed probabilities, to check the voting rule alone."""

    def __init__(self, name: str, probs: list[float]):
        self.name, self.p = name, np.asarray(probs)

    def predict(self, frames):
        return self.p


def test_voting_rule_top1_or_min_prob_and_min_agree():
    frames = np.zeros((4, 32, 32, 3), np.uint8)
    top_surprise = [0.1, 0.0, 0.2, 0.0, 0.6, 0.1, 0.0]
    weak_surprise = [0.0, 0.0, 0.7, 0.0, 0.3, 0.0, 0.0]   # not top-1, but >= min_prob 0.25
    against = [0.0, 0.0, 0.9, 0.0, 0.1, 0.0, 0.0]
    experts = [FixedExpert("a", top_surprise), FixedExpert("b", weak_surprise), FixedExpert("c", against)]
    v = LabelCalibrator(experts, CalibrationConfig(min_agree=2)).judge(frames, "surprise")
    assert v.votes == {"a": True, "b": True, "c": False} and v.accepted
    v = LabelCalibrator(experts, CalibrationConfig(min_agree=3)).judge(frames, "surprise")
    assert not v.accepted
    v = LabelCalibrator(experts, CalibrationConfig(min_agree=2, min_prob=0.5)).judge(frames, "surprise")
    assert v.votes["b"] is False and not v.accepted
    np.testing.assert_allclose(v.mean_probs, np.mean([top_surprise, weak_surprise, against], axis=0), atol=1e-4)


def test_bad_configuration_and_inputs_fail_clearly():
    frames = np.zeros((4, 32, 32, 3), np.uint8)
    ex = [FixedExpert("a", [1 / 7] * 7)]
    with pytest.raises(ValueError, match="at least one expert"):
        LabelCalibrator([])
    with pytest.raises(ValueError, match="min_agree=2"):
        LabelCalibrator(ex, CalibrationConfig(min_agree=2))
    with pytest.raises(ValueError, match="no trained recognizer"):
        make_experts(CalibrationConfig(experts=["fer", "recognizer"]))
    with pytest.raises(ValueError, match="unknown emotion"):
        LabelCalibrator(ex).judge(frames, "bored")
    with pytest.raises(ValueError, match="7 classes"):
        LabelCalibrator(ex).judge(frames, "contempt")
    with pytest.raises(ValueError, match="uint8 TxHxWx3"):
        LabelCalibrator(ex).judge(frames[0], "fear")
    with pytest.raises(ValueError, match="7 finite probabilities"):
        LabelCalibrator([FixedExpert("bad", [0.5, 0.5])]).judge(frames, "fear")


def test_recognizer_checkpoint_round_trip_as_expert(tmp_path, clips):
    """A recognizer of the true architecture (random init, small width) saved, loaded, voting."""
    import torch

    from argen_rl.calibration.recognizer import load_recognizer, save_recognizer
    from argen_rl.recognition.models import build_model
    from argen_rl.recognition.train import RecognitionConfig

    cfg = RecognitionConfig(model="res18_lstm", width=8, input_size=32, frames=8)
    torch.manual_seed(0)
    model = build_model(cfg.model, num_classes=7, width=cfg.width).eval()
    path = save_recognizer(model, cfg, tmp_path / "rec.pt")
    rec = load_recognizer(path)
    p = rec.predict_proba(clips["surprise"][None])
    assert p.shape == (1, 7) and np.isclose(p.sum(), 1.0, atol=1e-5)
    cal_cfg = CalibrationConfig(experts=["au", "recognizer"], min_agree=1)
    v = LabelCalibrator(make_experts(cal_cfg, recognizer=rec), cal_cfg).judge(clips["surprise"], "surprise")
    assert set(v.probs) == {"au", "recognizer"} and v.accepted
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(Exception):
        load_recognizer(tmp_path / "junk.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an ARGen recognizer checkpoint"):
        load_recognizer(tmp_path / "other.pt")
