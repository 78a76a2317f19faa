"""Training a recognition baseline from scratch with SGD (ARGen §4 recognition setup).

Clips are decoded once into a uint8 tensor (N, T, S, S, 3) (``frames`` uniformly sampled,
resized to ``input_size``), then trained with SGD + momentum under a cosine or step schedule,
random horizontal flips, seeded. DFEW folds come from ``argen_rl.data.dfew_split``.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from pydantic import field_validator
from tqdm.auto import tqdm

from argen_rl.config import StrictModel
from argen_rl.recognition.eval import RecognitionMetrics, predict, recognition_metrics, to_input
from argen_rl.recognition.models import MODEL_NAMES, build_model
from argen_rl.types import EMOTIONS7, Clip
from argen_rl.video_io import FrameReadError


class RecognitionConfig(StrictModel):
    """How one baseline is trained. Defaults are a CPU budget; the paper trains full DFEW."""

    model: str = "res18_transformer"
    """One of res18_lstm, res18_transformer, vgg13_lstm, vgg13_transformer."""
    epochs: int = 20
    """Passes over the training clips."""
    batch_size: int = 8
    """Clips per SGD step."""
    lr: float = 0.01
    """Initial SGD learning rate (the same for every baseline, as in the paper)."""
    momentum: float = 0.9
    """SGD momentum."""
    weight_decay: float = 5e-4
    """L2 weight decay."""
    schedule: Literal["cosine", "step"] = "cosine"
    """Learning-rate schedule over epochs: cosine to 0, or x gamma every step_epochs."""
    step_epochs: int = 10
    """Step schedule: epochs between decays."""
    gamma: float = 0.1
    """Step schedule: decay factor."""
    input_size: int = 112
    """Square frame side fed to the encoder (112 keeps CPU runs short; 224 is standard)."""
    frames: int = 16
    """Frames uniformly sampled per clip (last frame repeated for short clips)."""
    width: int = 64
    """Channels of the encoder's first stage (64 = standard ResNet-18 / VGG-13)."""
    max_clips: int | None = None
    """Cap on training clips (a seeded, class-stratified subset); None = all."""
    seed: int = 0
    """Seed for initialisation, clip subset, shuffling and flips."""

    @field_validator("model")
    @classmethod
    def _known_model(cls, v: str) -> str:
        if v not in MODEL_NAMES:
            raise ValueError(f"unknown model {v!r}; expected one of {', '.join(MODEL_NAMES)}")
        return v


@dataclass
class ClipTensor:
    """Decoded clips: uint8 frames (N, T, S, S, 3), class indices, and what was skipped."""

    frames: torch.Tensor
    labels: np.ndarray
    clip_ids: list[str]
    skipped: dict[str, str] = field(default_factory=dict)


def _load_frames(clip: Clip, n: int) -> np.ndarray:
    from argen_rl.data import load_clip_frames  # data layer (issue 2)

    return load_clip_frames(clip, n=n)


def load_clips(clips: Sequence[Clip], frames: int = 16, size: int = 112, progress: bool = True,
               cache: dict | None = None) -> ClipTensor:
    """Decode and resize clips; unreadable clips are skipped and reported, not fatal.

    ``cache`` (clip key -> uint8 array) lets several runs share decoded clips.
    """
    out, labels, ids, skipped = [], [], [], {}
    for clip in tqdm(clips, desc="loading clips", disable=not progress, unit="clip"):
        key = (clip.clip_id, str(clip.frames[0] if clip.frames else clip.video_path), frames, size)
        arr = cache.get(key) if cache is not None else None
        if arr is None:
            try:
                video = _load_frames(clip, frames)
            except FrameReadError as err:
                skipped[clip.clip_id] = str(err)
                continue
            arr = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in video])
            if cache is not None:
                cache[key] = arr
        out.append(arr)
        labels.append(clip.emotion.index)
        ids.append(clip.clip_id)
    if not out:
        raise ValueError(f"no readable clips among {len(clips)} (skipped: {list(skipped.items())[:3]})")
    return ClipTensor(torch.from_numpy(np.stack(out)), np.asarray(labels), ids, skipped)


def stratified_subset(clips: Sequence[Clip], max_clips: int | None, seed: int) -> list[Clip]:
    """At most ``max_clips`` clips keeping every class represented (round-robin over classes)."""
    clips = list(clips)
    if max_clips is None or len(clips) <= max_clips:
        return clips
    rng = np.random.default_rng(seed)
    by_class: dict = {}
    for i in rng.permutation(len(clips)):
        by_class.setdefault(clips[i].emotion, []).append(clips[i])
    picked: list[Clip] = []
    while len(picked) < max_clips:
        for group in by_class.values():
            if group and len(picked) < max_clips:
                picked.append(group.pop())
    return picked


def _lr_at(cfg: RecognitionConfig, epoch: int) -> float:
    if cfg.schedule == "cosine":
        return 0.5 * cfg.lr * (1 + math.cos(math.pi * epoch / max(cfg.epochs, 1)))
    return cfg.lr * cfg.gamma ** (epoch // cfg.step_epochs)


def train_model(cfg: RecognitionConfig, data: ClipTensor, progress: bool = True,
                max_steps: int | None = None) -> tuple[torch.nn.Module, list[dict]]:
    """Train ``cfg.model`` from scratch; returns the model and per-epoch history
    (``loss``, ``acc`` on the training batches, ``lr``, ``seconds``). ``max_steps`` stops early
    (for smoke tests)."""
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    model = build_model(cfg.model, num_classes=len(EMOTIONS7), width=cfg.width)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          weight_decay=cfg.weight_decay)
    labels = torch.as_tensor(data.labels, dtype=torch.long)
    n, history, step = len(labels), [], 0
    per_epoch = n // cfg.batch_size + (1 if n % cfg.batch_size >= 2 or n < 2 else 0)
    bar = tqdm(total=cfg.epochs * per_epoch, desc=f"train {cfg.model}",
               disable=not progress, unit="step")
    for epoch in range(cfg.epochs):
        lr = _lr_at(cfg, epoch)
        for g in opt.param_groups:
            g["lr"] = lr
        model.train()
        t0, tot_loss, correct = time.perf_counter(), 0.0, 0
        seen = 0
        for idx in torch.randperm(n, generator=gen).split(cfg.batch_size):
            if len(idx) < 2 and n >= 2:  # BatchNorm needs 2 samples; fold a lone clip into the next epoch
                continue
            x = to_input(data.frames[idx])
            flip = torch.rand(len(idx), generator=gen) < 0.5
            x[flip] = x[flip].flip(-1)
            logits = model(x)
            loss = F.cross_entropy(logits, labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += loss.item() * len(idx)
            correct += int((logits.argmax(1) == labels[idx]).sum())
            seen += len(idx)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", lr=f"{lr:.4f}")
            if max_steps is not None and step >= max_steps:
                break
        history.append({"epoch": epoch + 1, "loss": tot_loss / max(seen, 1), "acc": correct / max(seen, 1),
                        "lr": lr, "seconds": time.perf_counter() - t0, "steps": step})
        if max_steps is not None and step >= max_steps:
            break
    bar.close()
    return model.eval(), history


def evaluate(model: torch.nn.Module, data: ClipTensor, batch_size: int = 16) -> RecognitionMetrics:
    preds = predict(model, data.frames, batch_size)
    return recognition_metrics(data.labels, preds, num_classes=len(EMOTIONS7))
