"""FER2013 mini-Xception port: real weights, checked against the shipped tflite run by ai-edge-litert."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from argen_rl.face.fer import (FER2013_CLASSES, FER_TO_EMOTIONS7, ExpressionClassifier, FERNet,
                               default_weights_path, load_fer, to_model_input)
from argen_rl.types import EMOTIONS7, Emotion


@pytest.fixture(scope="module")
def clf() -> ExpressionClassifier:
    return ExpressionClassifier()


def _tflite_probs(gray64: np.ndarray) -> np.ndarray:
    """Independent run of the same weights: fer's emotion_model_quantized.tflite via ai-edge-litert."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(default_weights_path().with_name("emotion_model_quantized.tflite")))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    probs = []
    for face in gray64:
        it.set_tensor(inp, to_model_input(face[None]).permute(0, 2, 3, 1).numpy())   # NHWC
        it.invoke()
        probs.append(it.get_tensor(out)[0].copy())
    return np.array(probs)


def _test_crops(clf: ExpressionClassifier, astronaut, grace_hopper) -> np.ndarray:
    import skimage.data

    lfw = skimage.data.lfw_subset()[:100]       # 100 real LFW face crops (25x25, grey, [0, 1])
    faces = [cv2.resize((f * 255).round().astype(np.uint8), (64, 64), interpolation=cv2.INTER_CUBIC) for f in lfw]
    for c in clf.crops([astronaut, grace_hopper]):  # transformed crops: rotate/scale, mirror, dim
        for ang in (-15, 0, 15):
            for sc in (0.9, 1.1):
                r = cv2.warpAffine(c, cv2.getRotationMatrix2D((32, 32), ang, sc), (64, 64),
                                   borderMode=cv2.BORDER_REFLECT)
                faces += [r, r[:, ::-1].copy(), np.clip(r * 0.7 + 30, 0, 255).astype(np.uint8)]
    return np.stack(faces)


def test_port_agrees_with_tflite_reference(clf, astronaut, grace_hopper):
    """Tolerance: the tflite is weight-quantized, so probabilities may differ by up to 0.06 and
    top-1 may flip only where the float model's top-2 margin is small (< 0.15). Measured here:
    top-1 agreement 98% on 100 LFW crops, 100% on 36 transformed crops, max |dp| = 0.035."""
    faces = _test_crops(clf, astronaut, grace_hopper)
    ours = torch.softmax(torch.from_numpy(clf.logits_fer2013_from_crops(faces)), 1).numpy()
    ref = _tflite_probs(faces)
    assert np.abs(ours - ref).max() < 0.06
    agree = ours.argmax(1) == ref.argmax(1)
    assert agree.mean() >= 0.95
    top2 = np.sort(ours, axis=1)[:, -2:]
    assert agree[(top2[:, 1] - top2[:, 0]) >= 0.15].all()


def test_architecture_and_class_order():
    net = load_fer()
    assert sum(p.numel() for p in net.parameters()) == 56_951     # the Keras model's count
    assert not net.training
    assert [FER2013_CLASSES[i] for i in FER_TO_EMOTIONS7] == [e.value for e in EMOTIONS7]
    assert net(torch.zeros(2, 1, 64, 64)).shape == (2, 7)


def test_astronaut_is_happy_grace_hopper_is_neutral(clf, astronaut, grace_hopper):
    probs = clf.predict_proba([astronaut, grace_hopper])   # a list: sizes differ
    assert probs.shape == (2, 7) and np.allclose(probs.sum(1), 1.0, atol=1e-5)
    assert clf.classes[int(probs[0].argmax())] is Emotion.HAPPY and probs[0, Emotion.HAPPY.index] > 0.9
    assert clf.predict([grace_hopper]) == [Emotion.NEUTRAL]


def test_logits_from_rgb_is_differentiable_and_matches_crop_path(clf, astronaut):
    box = clf.face_box(astronaut)
    face = cv2.resize(box.crop(astronaut), (64, 64), interpolation=cv2.INTER_AREA)
    x = (torch.from_numpy(face).permute(2, 0, 1)[None].float() / 127.5 - 1.0).requires_grad_(True)
    logits = clf.logits_from_rgb(x)
    assert logits.shape == (1, 7)
    assert int(logits.argmax()) == Emotion.HAPPY.index
    # same face through the numpy path (cv2 grey, same 64x64 size) gives (nearly) the same logits
    ref = clf.logits_fer2013_from_crops(cv2.cvtColor(face, cv2.COLOR_RGB2GRAY)[None])[:, list(FER_TO_EMOTIONS7)]
    assert np.allclose(logits.detach().numpy(), ref, atol=0.1)   # cv2 rounds grey to uint8
    # gradient ascent on "surprise" through the classifier raises it: the guidance signal works
    target = Emotion.SURPRISE.index
    logits[0, target].backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    x2 = (x + 0.05 * x.grad.sign()).clamp(-1, 1).detach()
    assert clf.logits_from_rgb(x2)[0, target] > logits[0, target]
    # larger frames are resized inside (antialiased), still differentiable
    big = torch.zeros(2, 3, 128, 96, requires_grad=True)
    clf.logits_from_rgb(big).sum().backward()
    assert big.grad.shape == big.shape
    with pytest.raises(ValueError, match="N, 3, H, W"):
        clf.logits_from_rgb(torch.zeros(1, 1, 64, 64))


def test_penultimate_features(clf, astronaut, grace_hopper):
    feats = clf.penultimate_features([astronaut, grace_hopper, astronaut[:, ::-1].copy()])
    assert feats.shape == (3, 128) and feats.dtype == np.float32 and np.isfinite(feats).all()
    d_same = np.linalg.norm(feats[0] - feats[2])    # mirrored astronaut stays closer than another person
    d_other = np.linalg.norm(feats[0] - feats[1])
    assert d_same < d_other


def test_no_face_uses_whole_frame_and_bad_weights_fail_clearly(clf, tmp_path):
    blank = np.full((80, 120, 3), 90, np.uint8)
    assert clf.face_box(blank) is None
    assert clf.predict_proba([blank]).shape == (1, 7)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_fer(tmp_path / "missing.hdf5")
    import h5py

    with h5py.File(tmp_path / "other.hdf5", "w") as f:
        f.create_dataset("model_weights/dense/kernel:0", data=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="mini-Xception"):
        load_fer(tmp_path / "other.hdf5")
    assert isinstance(FERNet(), torch.nn.Module)
