"""Recognition baselines: architectures, and training that actually lowers the loss."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from argen_rl.recognition.models import MODEL_NAMES, ResNet18Encoder, VGG13Encoder, build_model
from argen_rl.recognition.train import ClipTensor, RecognitionConfig, evaluate, train_model


def test_standard_encoders_have_the_published_sizes():
    # ResNet-18 trunk (no fc) 11.18 M params; VGG-13-BN conv layers 9.41 M
    res = sum(p.numel() for p in ResNet18Encoder(64).parameters())
    vgg = sum(p.numel() for p in VGG13Encoder(64).parameters())
    assert abs(res - 11_176_512) < 1_000
    assert 9.3e6 < vgg < 9.5e6


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_models_map_clips_to_seven_logits(name):
    model = build_model(name, width=8)
    x = torch.randn(2, 5, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, 7)
    out.sum().backward()  # the whole thing is trainable end to end
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="res18_lstm"):
        build_model("res50_gru")
    with pytest.raises(ValueError, match="unknown"):
        RecognitionConfig(model="res50_gru")


def _photo_clips(astronaut, grace_hopper, per_class=6, frames=4, size=32):
    """Two classes from two real faces, each clip a small random pan/zoom of its photo."""
    rng = np.random.default_rng(0)
    clips, labels = [], []
    for label, img in ((0, astronaut), (2, grace_hopper)):
        for _ in range(per_class):
            s = int(rng.integers(300, 400))
            y0, x0 = rng.integers(0, img.shape[0] - s), rng.integers(0, img.shape[1] - s)
            clip = []
            for t in range(frames):
                crop = img[y0 + 4 * t: y0 + s, x0: x0 + s - 4 * t]
                clip.append(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA))
            clips.append(np.stack(clip))
            labels.append(label)
    return ClipTensor(torch.from_numpy(np.stack(clips)), np.array(labels), [str(i) for i in range(len(labels))])


@pytest.mark.parametrize("name", ["res18_transformer", "vgg13_lstm"])
def test_training_lowers_the_loss_on_real_photos(name, astronaut, grace_hopper):
    data = _photo_clips(astronaut, grace_hopper)
    cfg = RecognitionConfig(model=name, epochs=15, batch_size=4, lr=0.01, width=8, input_size=32,
                            frames=4, seed=0)
    model, hist = train_model(cfg, data, progress=False)
    assert len(hist) == 15 and hist[-1]["steps"] == 15 * 3
    assert hist[-1]["loss"] < 0.6 * hist[0]["loss"]
    assert hist[-1]["lr"] < hist[0]["lr"]  # cosine schedule decays
    m = evaluate(model, data)
    assert m.n == 12 and m.war >= 0.75
