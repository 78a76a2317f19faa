"""Training one recognition baseline (ARGen §4 recognition setup; recipe in docs/recognition.md).

``train_model(cfg, train, val, run_dir=...)`` trains ``cfg.model`` from scratch with SGD +
momentum on a streaming ``ClipDataset`` (``argen_rl.recognition.data``): device from config
(``auto`` = CUDA when present), autocast (bf16 / fp16), channels-last, the learning rate set per
epoch by the schedule. After every epoch it evaluates the validation clips (carved from the
training fold, never the test fold), keeps the weights of the best epoch by validation UAR, and
with a ``run_dir`` writes::

    run_dir/checkpoints/last.pt   # model + optimizer + scaler + history + best weights: resume point
    run_dir/checkpoints/best.pt   # weights of the best validation epoch (for users)
    run_dir/metrics.csv           # one row per epoch
    run_dir/tb/                   # TensorBoard scalars (same names)

Resume: a ``run_dir`` holding ``last.pt`` continues after its epoch. Every random draw of epoch e
(shuffling, frames, crops, flips, jitter, dropout) is seeded from ``(seed, e)``, so a run killed
and resumed ends with the same weights as an uninterrupted one (bit-equal on the CPU; cuDNN
kernels on a GPU are not bitwise deterministic).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import field_validator, model_validator
from tqdm.auto import tqdm

from argen_rl.config import StrictModel
from argen_rl.io_utils import atomic_path, atomic_write_text
from argen_rl.recognition.data import Augment, ClipDataset, make_loader
from argen_rl.recognition.eval import RecognitionMetrics, predict, recognition_metrics, to_input
from argen_rl.recognition.models import MODEL_NAMES, build_model, load_trainable_state, trainable_state
from argen_rl.recognition.runtime import autocast, resolve_amp, resolve_device, to_device
from argen_rl.types import EMOTIONS7, Clip

CKPT_FORMAT = "argen-recognition-train-v1"
LAST, BEST = "last.pt", "best.pt"


class RecognitionConfig(StrictModel):
    """How one baseline is trained. Defaults follow Former-DFER's DFEW recipe (SGD 0.01, momentum
    0.9, weight decay 1e-4, 100 epochs, lr x 0.1 every 40, batch 32, 16 frames at 112 px) with
    DFER-CLIP's 16-segment sampling; docs/recognition.md gives the sources."""

    model: str = "res18_transformer"
    """One of res18_lstm, res18_transformer, vgg13_lstm, vgg13_transformer, clip_transformer."""
    epochs: int = 100
    """Passes over the training clips."""
    batch_size: int = 32
    """Clips per SGD step."""
    lr: float = 0.01
    """Initial SGD learning rate (the same for every baseline, as in the paper)."""
    momentum: float = 0.9
    """SGD momentum."""
    weight_decay: float = 1e-4
    """L2 weight decay (SGD's)."""
    schedule: Literal["step", "multistep", "cosine"] = "step"
    """Learning rate per epoch: x gamma every step_epochs (Former-DFER), x gamma at each of
    milestones (DFER-CLIP), or cosine to 0."""
    step_epochs: int = 40
    """step: epochs between decays."""
    milestones: list[int] = [30, 40]
    """multistep: epochs at which the rate is multiplied by gamma."""
    gamma: float = 0.1
    """step / multistep decay factor."""
    input_size: int = 112
    """Square frame side fed to the encoder: 112 (Former-DFER, the default) or 224 (the paper)."""
    frames: int = 16
    """Frames per clip: one per equal segment (random in training, the middle one at test)."""
    width: int = 64
    """Channels of the encoder's first stage (64 = standard ResNet-18 / VGG-13; a CPU budget knob)."""
    crop_scale: tuple[float, float] = (0.08, 1.0)
    """Training random-resized crop: range of the crop's share of the frame area."""
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    """Training random-resized crop: range of the crop's aspect ratio."""
    flip: bool = True
    """Training: horizontal flip with probability 0.5."""
    jitter: float = 0.4
    """Training: brightness / contrast / saturation factors drawn in [1 - jitter, 1 + jitter]."""
    val_fraction: float = 0.1
    """Share of the training fold (per class, seeded) held out for validation and best-epoch
    selection; 0 = no validation, the last epoch is kept."""
    max_clips: int | None = None
    """Cap on the training fold's original clips (train + validation; a seeded, class-stratified
    subset); None = all."""
    device: str = "auto"
    """auto (CUDA when torch sees it, else CPU), cpu, cuda, cuda:N."""
    amp: Literal["auto", "none", "bf16", "fp16"] = "auto"
    """Autocast dtype: auto = bf16 on CUDA, none on the CPU; fp16 uses a gradient scaler."""
    channels_last: bool = True
    """Run the encoder's convolutions in channels-last memory format (faster on tensor cores)."""
    num_workers: int | None = None
    """DataLoader worker processes; None = 0 on the CPU (the model needs the cores), else
    min(8, CPUs - 1)."""
    pin_memory: bool = True
    """Pinned host memory for the batches (only used on CUDA)."""
    prefetch_factor: int = 2
    """Batches each worker prepares ahead."""
    cache_mb: float = 512
    """Decoded-frame cache per process (each worker has its own), in MiB; 0 disables it."""
    eval_batch_size: int | None = None
    """Clips per evaluation batch; None = 2 x batch_size."""
    clip_dir: str | None = None
    """clip_transformer: local transformers CLIPVisionModel (or CLIPModel) folder."""
    seed: int = 0
    """Seed of initialisation, subsets, the validation split, shuffling and augmentation."""

    @field_validator("model")
    @classmethod
    def _known_model(cls, v: str) -> str:
        if v not in MODEL_NAMES:
            raise ValueError(f"unknown model {v!r}; expected one of {', '.join(MODEL_NAMES)}")
        return v

    @model_validator(mode="after")
    def _ranges(self) -> "RecognitionConfig":
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not 0 < self.crop_scale[0] <= self.crop_scale[1] <= 1:
            raise ValueError(f"crop_scale must satisfy 0 < low <= high <= 1, got {self.crop_scale}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")
        if min(self.epochs, self.batch_size, self.frames, self.input_size, self.width) < 1:
            raise ValueError("epochs, batch_size, frames, input_size and width must be >= 1")
        return self

    def augment(self) -> Augment:
        return Augment(tuple(self.crop_scale), tuple(self.crop_ratio), self.flip, self.jitter)

    def dataset(self, clips: Sequence[Clip], train: bool) -> ClipDataset:
        """A streaming dataset of ``clips`` with this config's sampling / augmentation."""
        return ClipDataset(clips, self.frames, self.input_size, train=train, augment=self.augment(),
                           seed=self.seed, cache_mb=self.cache_mb)

    def workers(self, device: torch.device) -> int:
        import os

        if self.num_workers is not None:
            return self.num_workers
        return 0 if device.type == "cpu" else max(0, min(8, (os.cpu_count() or 1) - 1))

    def fingerprint(self) -> str:
        """Hash of the settings that change results (not workers, caches, batch prefetching)."""
        d = self.model_dump(mode="json")
        for k in ("num_workers", "pin_memory", "prefetch_factor", "cache_mb", "eval_batch_size"):
            d.pop(k)
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def lr_at(cfg: RecognitionConfig, epoch: int) -> float:
    """Learning rate of epoch ``epoch`` (0-based) under ``cfg.schedule``."""
    if cfg.schedule == "cosine":
        return 0.5 * cfg.lr * (1 + math.cos(math.pi * epoch / max(cfg.epochs, 1)))
    if cfg.schedule == "multistep":
        return cfg.lr * cfg.gamma ** sum(epoch >= m for m in cfg.milestones)
    return cfg.lr * cfg.gamma ** (epoch // cfg.step_epochs)


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch + 1) % (2 ** 63)


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


def carve_validation(clips: Sequence[Clip], fraction: float, seed: int) -> tuple[list[Clip], list[Clip]]:
    """(train, val): ``round(fraction * n_c)`` clips of each class c go to validation (seeded;
    at least one for a class of >= 2 clips when fraction > 0, never a class's only clip)."""
    clips = list(clips)
    if fraction <= 0:
        return clips, []
    rng = np.random.default_rng([seed, 7919])
    val_ids: set[int] = set()
    for e in EMOTIONS7:
        idx = [i for i, c in enumerate(clips) if c.emotion == e]
        if len(idx) < 2:
            continue
        k = min(len(idx) - 1, max(1, int(round(fraction * len(idx)))))
        val_ids.update(rng.permutation(idx)[:k].tolist())
    return ([c for i, c in enumerate(clips) if i not in val_ids],
            [c for i, c in enumerate(clips) if i in val_ids])


@dataclass
class TrainResult:
    model: torch.nn.Module
    """The weights of the best validation epoch (the last epoch without validation), eval mode."""
    history: list[dict]
    """One row per epoch (the metrics.csv columns)."""
    best_epoch: int | None
    """1-based epoch whose weights ``model`` holds; None when no epoch ran."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Undecodable training / validation clips: clip id -> reason."""
    resumed_from: int | None = None
    """Epochs already done when this call started from a checkpoint."""


class EpochLog:
    """metrics.csv (rewritten atomically from the whole history) and TensorBoard scalars."""

    def __init__(self, run_dir: Path, start_epoch: int, tensorboard: bool) -> None:
        self.csv = run_dir / "metrics.csv"
        self.tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            # a resumed run drops events logged after its checkpoint (epochs are the steps)
            self.tb = SummaryWriter(str(run_dir / "tb"), purge_step=start_epoch + 1 if start_epoch else None)

    def write(self, history: list[dict]) -> None:
        fields = list(dict.fromkeys(k for row in history for k in row))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=fields)
        w.writeheader()
        w.writerows(history)
        atomic_write_text(self.csv, buf.getvalue())
        if self.tb is not None:
            row = history[-1]
            for k, v in row.items():
                if k != "epoch" and isinstance(v, (int, float)) and v is not None:
                    self.tb.add_scalar(k, v, row["epoch"])
            self.tb.flush()

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def _save(path: Path, obj: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def _load_checkpoint(path: Path, cfg: RecognitionConfig) -> dict:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"{path}: unreadable checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CKPT_FORMAT:
        raise ValueError(f"{path}: not a recognition training checkpoint (format {CKPT_FORMAT!r})")
    if ckpt.get("fingerprint") != cfg.fingerprint():
        raise ValueError(f"{path} was written with a different training config; resume with the "
                         "same config, or use a fresh run folder")
    return ckpt


def _train_epoch(model, loader, opt, scaler, device, amp, epoch: int, max_steps: int | None,
                 step0: int, bar) -> tuple[dict, dict[str, str]]:
    model.train()
    t_data = t_model = 0.0
    loss_sum, correct, seen, steps, n_skipped = 0.0, 0, 0, 0, 0
    hits = lookups = 0
    skipped: dict[str, str] = {}
    it = iter(loader)
    t_epoch = time.perf_counter()
    while max_steps is None or step0 + steps < max_steps:
        t0 = time.perf_counter()
        batch = next(it, None)
        t1 = time.perf_counter()
        t_data += t1 - t0
        if batch is None:
            break
        skipped.update(batch["skipped"])
        n_skipped += len(batch["skipped"])
        hits, lookups = hits + batch["cache_hits"], lookups + batch["cache_lookups"]
        n = len(batch["labels"])
        if n == 0:
            continue
        frames, labels = to_device(batch, device)
        with autocast(device, amp):
            logits = model(to_input(frames))
            loss = F.cross_entropy(logits.float(), labels)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        loss_v = float(loss.item())
        loss_sum += loss_v * n
        correct += int((logits.argmax(1) == labels).sum())
        seen += n
        steps += 1
        t_model += time.perf_counter() - t1
        if bar is not None:
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss_v:.3f}")
    seconds = time.perf_counter() - t_epoch
    row = {"train/loss": loss_sum / max(seen, 1), "train/acc": correct / max(seen, 1),
           "train/clips": seen, "train/skipped": n_skipped, "train/steps": step0 + steps,
           "train/clips_per_s": seen / max(seconds, 1e-9), "time/epoch_s": seconds,
           "time/data_s": t_data, "time/model_s": t_model,
           "data/cache_hit_rate": hits / lookups if lookups else 0.0}
    return row, skipped


def train_model(cfg: RecognitionConfig, train: ClipDataset, val: ClipDataset | None = None, *,
                run_dir: str | Path | None = None, progress: bool = True, max_steps: int | None = None,
                tensorboard: bool = True,
                on_epoch: Callable[[dict, Path | None], None] | None = None) -> TrainResult:
    """Train ``cfg.model`` from scratch (see the module docstring). ``on_epoch(row, ckpt_dir)``
    is called after each epoch's checkpoint is written (the Tune trial reports there);
    ``max_steps`` stops early (smoke tests)."""
    device = resolve_device(cfg.device)
    amp = resolve_amp(cfg.amp, device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, num_classes=len(EMOTIONS7), width=cfg.width, clip_dir=cfg.clip_dir).to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=cfg.lr,
                          momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    scaler = torch.amp.GradScaler(device.type, enabled=amp is torch.float16)

    ckpt_dir = Path(run_dir) / "checkpoints" if run_dir is not None else None
    history: list[dict] = []
    best = {"epoch": None, "uar": None, "state": None}
    skipped: dict[str, str] = {}
    resumed_from = None
    if ckpt_dir is not None and (ckpt_dir / LAST).is_file():
        ckpt = _load_checkpoint(ckpt_dir / LAST, cfg)
        load_trainable_state(model, ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        scaler.load_state_dict(ckpt["scaler"])
        history, skipped = ckpt["history"], ckpt["skipped"]
        best = {"epoch": ckpt["best_epoch"], "uar": ckpt["best_uar"], "state": ckpt["best_model"]}
        resumed_from = len(history)
    start = len(history)

    workers = cfg.workers(device)
    pin = cfg.pin_memory and device.type == "cuda"
    loader = make_loader(train, cfg.batch_size, shuffle=True, seed=cfg.seed, num_workers=workers,
                         pin_memory=pin, prefetch_factor=cfg.prefetch_factor)
    val_loader = None
    if val is not None and len(val):
        val_loader = make_loader(val, cfg.eval_batch_size or 2 * cfg.batch_size, shuffle=False,
                                 num_workers=workers, pin_memory=pin, prefetch_factor=cfg.prefetch_factor)
    log = EpochLog(Path(run_dir), start, tensorboard) if run_dir is not None else None
    per_epoch = len(loader.batch_sampler)
    bar = tqdm(total=cfg.epochs * per_epoch, initial=start * per_epoch, desc=f"train {cfg.model}",
               disable=not progress, unit="step")
    step = history[-1]["train/steps"] if history else 0
    try:
        for epoch in range(start, cfg.epochs):
            if max_steps is not None and step >= max_steps:
                break
            torch.manual_seed(_epoch_seed(cfg.seed, epoch))      # dropout etc.: resume-exact
            lr = lr_at(cfg, epoch)
            for g in opt.param_groups:
                g["lr"] = lr
            loader.batch_sampler.set_epoch(epoch)
            row, sk = _train_epoch(model, loader, opt, scaler, device, amp, epoch, max_steps, step, bar)
            skipped.update(sk)
            step = row["train/steps"]
            row = {"epoch": epoch + 1, "train/lr": lr, **row}
            improved = False
            if val_loader is not None:
                t0 = time.perf_counter()
                y, p, sk = predict(model, val_loader, device, amp)
                skipped.update(sk)
                if len(y):
                    m = recognition_metrics(y, p, num_classes=len(EMOTIONS7))
                    row.update({"val/war": m.war, "val/uar": m.uar})
                    improved = best["uar"] is None or m.uar > best["uar"]
                row["time/eval_s"] = time.perf_counter() - t0
            if improved:
                best = {"epoch": epoch + 1, "uar": row["val/uar"],
                        "state": {k: v.detach().to("cpu", copy=True) for k, v in trainable_state(model).items()}}
            row["val/best_epoch"] = best["epoch"]
            history.append(row)
            if ckpt_dir is not None:
                meta = {"format": CKPT_FORMAT, "fingerprint": cfg.fingerprint(),
                        "config": cfg.model_dump(mode="json")}
                # last.pt alone is the resume point (it carries the best weights too, so a kill
                # between the two writes cannot pair it with another epoch's best.pt)
                _save(ckpt_dir / LAST, {**meta, "model": trainable_state(model), "optimizer": opt.state_dict(),
                                        "scaler": scaler.state_dict(), "history": history, "skipped": skipped,
                                        "best_epoch": best["epoch"], "best_uar": best["uar"],
                                        "best_model": best["state"]})
                if improved:
                    _save(ckpt_dir / BEST, {**meta, "epoch": epoch + 1, "val_uar": best["uar"], "model": best["state"]})
            if log is not None:
                log.write(history)
            if on_epoch is not None:
                on_epoch(row, ckpt_dir)
    finally:
        bar.close()
        if log is not None:
            log.close()
    if best["state"] is not None:
        load_trainable_state(model, {k: v.to(device) for k, v in best["state"].items()})
        best_epoch = best["epoch"]
    else:
        best_epoch = len(history) or None
    return TrainResult(model.eval(), history, best_epoch, skipped, resumed_from)


def evaluate(model: torch.nn.Module, data: ClipDataset, cfg: RecognitionConfig | None = None
             ) -> tuple[RecognitionMetrics, dict[str, str]]:
    """WAR / UAR / per-class recall of ``model`` on ``data`` (uniform frames, centre crop), and
    the clips that could not be decoded."""
    cfg = cfg or RecognitionConfig()
    device = next(model.parameters()).device
    loader = make_loader(data, cfg.eval_batch_size or 2 * cfg.batch_size, shuffle=False,
                         num_workers=cfg.workers(device), pin_memory=cfg.pin_memory and device.type == "cuda",
                         prefetch_factor=cfg.prefetch_factor)
    y, p, skipped = predict(model, loader, device, resolve_amp(cfg.amp, device))
    if not len(y):
        raise ValueError(f"no readable clips among {len(data)} (skipped: {list(skipped.items())[:3]})")
    return recognition_metrics(y, p, num_classes=len(EMOTIONS7)), skipped
