"""Recognition baselines: architectures, training on clips on disk that lowers the loss, the
schedules, the validation split, best-epoch selection, checkpoints and exact resume."""
from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
import torch

from argen_rl.recognition.data import make_loader
from argen_rl.recognition.eval import to_input
from argen_rl.recognition.models import BASELINES, ResNet18Encoder, VGG13Encoder, build_model
from argen_rl.recognition.runtime import resolve_amp, resolve_device
from argen_rl.recognition.train import (BEST, LAST, RecognitionConfig, carve_validation, evaluate, lr_at,
                                        train_model)
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import write_image


def test_standard_encoders_have_the_published_sizes():
    # ResNet-18 trunk (no fc) 11.18 M params; VGG-13-BN conv layers 9.41 M
    res = sum(p.numel() for p in ResNet18Encoder(64).parameters())
    vgg = sum(p.numel() for p in VGG13Encoder(64).parameters())
    assert abs(res - 11_176_512) < 1_000
    assert 9.3e6 < vgg < 9.5e6


@pytest.mark.parametrize("name", BASELINES)
def test_models_map_clips_to_seven_logits(name):
    model = build_model(name, width=8).to(memory_format=torch.channels_last)
    x = torch.randn(2, 5, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, 7)
    out.sum().backward()  # the whole thing is trainable end to end
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_unknown_model_and_bad_settings_are_rejected():
    with pytest.raises(ValueError, match="res18_lstm"):
        build_model("res50_gru")
    with pytest.raises(ValueError, match="unknown"):
        RecognitionConfig(model="res50_gru")
    with pytest.raises(ValueError, match="val_fraction"):
        RecognitionConfig(val_fraction=1.0)
    with pytest.raises(ValueError, match="crop_scale"):
        RecognitionConfig(crop_scale=(0.5, 0.2))
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            resolve_device("cuda")
        assert resolve_device("auto").type == "cpu" and resolve_amp("auto", torch.device("cpu")) is None
    assert resolve_amp("bf16", torch.device("cpu")) is torch.bfloat16


def test_schedules_follow_the_sources():
    step = RecognitionConfig()                                # Former-DFER: x0.1 every 40 epochs
    assert [lr_at(step, e) for e in (0, 39, 40, 80)] == pytest.approx([0.01, 0.01, 0.001, 0.0001])
    multi = RecognitionConfig(schedule="multistep", epochs=50)  # DFER-CLIP: milestones 30, 40
    assert [lr_at(multi, e) for e in (29, 30, 40)] == pytest.approx([0.01, 0.001, 0.0001])
    cos = RecognitionConfig(schedule="cosine", epochs=10)
    assert lr_at(cos, 0) == pytest.approx(0.01) and lr_at(cos, 5) == pytest.approx(0.005)


def _clips(n_per_class: int) -> list[Clip]:
    out = []
    for e in (Emotion.HAPPY, Emotion.SAD, Emotion.FEAR):
        out += [Clip(f"{e.value}{i}", e, frames=[]) for i in range(n_per_class)]
    out.append(Clip("lonely", Emotion.DISGUST, frames=[]))
    return out


def test_validation_split_is_stratified_seeded_and_disjoint():
    clips = _clips(10)
    tr, va = carve_validation(clips, 0.2, seed=0)
    assert len(va) == 6 and len(tr) == len(clips) - 6
    assert {c.clip_id for c in tr}.isdisjoint(c.clip_id for c in va)
    assert sorted(c.emotion.value for c in va) == ["fear"] * 2 + ["happy"] * 2 + ["sad"] * 2
    assert "lonely" in {c.clip_id for c in tr}                 # a class's only clip keeps training
    assert [c.clip_id for c in carve_validation(clips, 0.2, seed=0)[1]] == [c.clip_id for c in va]
    assert [c.clip_id for c in carve_validation(clips, 0.2, seed=1)[1]] != [c.clip_id for c in va]
    assert carve_validation(clips, 0.0, 0) == (clips, [])


@pytest.fixture(scope="module")
def photo_clips(tmp_path_factory, astronaut, grace_hopper):
    """Two classes from two real faces, each clip a small random pan/zoom of its photo, written
    as frame folders (the DFEW layout's clips)."""
    base = tmp_path_factory.mktemp("photo_clips")
    rng = np.random.default_rng(0)
    clips = []
    for emotion, img in ((Emotion.HAPPY, astronaut), (Emotion.NEUTRAL, grace_hopper)):
        for k in range(6):
            s = int(rng.integers(300, 400))
            y0, x0 = rng.integers(0, img.shape[0] - s), rng.integers(0, img.shape[1] - s)
            folder = base / f"{emotion.value}{k}"
            for t in range(6):
                crop = img[y0 + 4 * t: y0 + s, x0: x0 + s - 4 * t]
                write_image(folder / f"{t:03d}.jpg", cv2.resize(crop, (64, 64), interpolation=cv2.INTER_AREA))
            clips.append(Clip(f"{emotion.value}{k}", emotion, frames=sorted(folder.iterdir())))
    return clips


def _cfg(**kw) -> RecognitionConfig:
    base = dict(epochs=15, batch_size=4, lr=0.01, width=8, input_size=32, frames=4, schedule="cosine",
                crop_scale=(0.7, 1.0), jitter=0.1, val_fraction=0.0, seed=0)
    return RecognitionConfig(**{**base, **kw})


def _mean_loss(model: torch.nn.Module, data) -> float:
    """Cross-entropy of ``model`` over every clip of ``data`` (test-time sampling, no dropout)."""
    model.eval()
    losses = []
    with torch.no_grad():
        for batch in make_loader(data, 16, shuffle=False):
            logits = model(to_input(batch["frames"]))
            losses.append(torch.nn.functional.cross_entropy(logits, batch["labels"], reduction="none"))
    return torch.cat(losses).mean().item()


# One epoch's mean training loss is 3 noisy mini-batches (CI's CPU followed another float path than
# ours and ended one run at 0.70x its first epoch): the test compares the loss of the whole set at
# test time instead. Learning rates: VGG13+LSTM needs 0.1 to fit 12 clips in 15 epochs (measured
# over seeds 0-3 here: test-time loss 1.9 -> <= 0.54, WAR >= 0.83; at 0.01 two seeds stay at WAR 0.5).
@pytest.mark.parametrize("name, lr", [("res18_transformer", 0.01), ("vgg13_lstm", 0.1)])
def test_training_lowers_the_loss_on_real_photos(name, lr, photo_clips):
    cfg = _cfg(model=name, lr=lr)
    torch.manual_seed(cfg.seed)                                   # the weights train_model starts from
    untrained = build_model(name, width=cfg.width).to(memory_format=torch.channels_last)
    res = train_model(cfg, cfg.dataset(photo_clips, train=True), progress=False)
    hist = res.history
    assert len(hist) == 15 and hist[-1]["train/steps"] == 15 * 3 and res.best_epoch == 15
    before = _mean_loss(untrained, cfg.dataset(photo_clips, train=False))
    after = _mean_loss(res.model, cfg.dataset(photo_clips, train=False))
    assert after < 0.5 * before, (before, after)
    assert hist[-1]["train/lr"] < hist[0]["train/lr"]           # cosine schedule decays
    assert all(h["time/data_s"] + h["time/model_s"] <= h["time/epoch_s"] + 1e-6 for h in hist)
    m, skipped = evaluate(res.model, cfg.dataset(photo_clips, train=False), cfg)
    assert m.n == 12 and m.war >= 0.75 and not skipped


def test_bf16_autocast_trains_on_cpu(photo_clips):
    cfg = _cfg(model="res18_lstm", amp="bf16", epochs=1)
    res = train_model(cfg, cfg.dataset(photo_clips, train=True), progress=False)
    assert np.isfinite(res.history[0]["train/loss"])


class _Kill(Exception):
    pass


def test_checkpoints_best_epoch_and_exact_resume(photo_clips, tmp_path):
    cfg = _cfg(model="res18_transformer", epochs=4, val_fraction=0.34)
    tr, va = carve_validation(photo_clips, cfg.val_fraction, cfg.seed)
    assert len(va) == 4
    ref = train_model(cfg, cfg.dataset(tr, True), cfg.dataset(va, False), run_dir=tmp_path / "ref", progress=False)
    uars = [h["val/uar"] for h in ref.history]
    assert ref.best_epoch == 1 + int(np.argmax(uars))           # first epoch of the best validation UAR
    best = torch.load(tmp_path / "ref" / "checkpoints" / BEST, weights_only=False)
    assert best["epoch"] == ref.best_epoch
    assert all(torch.equal(best["model"][k], v) for k, v in ref.model.state_dict().items())
    with open(tmp_path / "ref" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4] and {"train/loss", "val/uar", "time/data_s"} <= set(rows[0])
    assert list((tmp_path / "ref" / "tb").glob("events.out.tfevents.*"))

    # killed after epoch 2, then the same call again: resumes at epoch 3, ends equal
    def kill(row, ckpt_dir):
        assert (ckpt_dir / LAST).is_file()
        if row["epoch"] == 2:
            raise _Kill

    with pytest.raises(_Kill):
        train_model(cfg, cfg.dataset(tr, True), cfg.dataset(va, False), run_dir=tmp_path / "cut",
                    progress=False, on_epoch=kill)
    again = train_model(cfg, cfg.dataset(tr, True), cfg.dataset(va, False), run_dir=tmp_path / "cut", progress=False)
    assert again.resumed_from == 2 and again.best_epoch == ref.best_epoch
    assert [h["train/loss"] for h in again.history] == [h["train/loss"] for h in ref.history]
    assert [h["val/uar"] for h in again.history] == uars
    last_ref = torch.load(tmp_path / "ref" / "checkpoints" / LAST, weights_only=False)
    last_cut = torch.load(tmp_path / "cut" / "checkpoints" / LAST, weights_only=False)
    assert all(torch.equal(last_ref["model"][k], last_cut["model"][k]) for k in last_ref["model"])
    # a finished run resumes to itself; another config is refused, not mixed in
    done = train_model(cfg, cfg.dataset(tr, True), cfg.dataset(va, False), run_dir=tmp_path / "ref", progress=False)
    assert done.resumed_from == 4 and len(done.history) == 4
    with pytest.raises(ValueError, match="different training config"):
        other = cfg.model_copy(update={"lr": 0.02})
        train_model(other, other.dataset(tr, True), run_dir=tmp_path / "ref", progress=False)
