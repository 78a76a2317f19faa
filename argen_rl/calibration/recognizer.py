"""A trained video recognizer (argen_rl.recognition) as a calibration expert.

Checkpoint file (``torch.save`` of a dict; written by :func:`save_recognizer`)::

    {"format": "argen-recognizer-v1", "model": "res18_transformer", "width": 64,
     "input_size": 112, "frames": 16, "state_dict": {...}}

``load_recognizer(path)`` rebuilds the architecture with ``argen_rl.recognition.models.build_model``
and returns a :class:`RecognizerProbs` whose ``predict_proba(clips)`` is what
``calibration.experts.RecognizerExpert`` calls.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import torch

FORMAT = "argen-recognizer-v1"


def save_recognizer(model: torch.nn.Module, cfg, path: str | Path) -> Path:
    """Save a trained recognizer with what is needed to rebuild it (``cfg``: RecognitionConfig)."""
    from argen_rl.io_utils import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save({"format": FORMAT, "model": cfg.model, "width": cfg.width,
                    "input_size": cfg.input_size, "frames": cfg.frames,
                    "state_dict": model.state_dict()}, tmp)
    return path


class RecognizerProbs:
    """``predict_proba(clips uint8 (N,T,H,W,3)) -> (N, 7)`` in EMOTIONS7 order."""

    def __init__(self, model: torch.nn.Module, input_size: int, frames: int) -> None:
        self.model = model.eval()
        self.input_size = input_size
        self.frames = frames

    @torch.no_grad()
    def predict_proba(self, clips: np.ndarray) -> np.ndarray:
        from argen_rl.recognition.eval import to_input
        from argen_rl.video_io import sample_indices

        clips = np.asarray(clips)
        if clips.ndim != 5 or clips.dtype != np.uint8:
            raise ValueError(f"expected uint8 clips (N, T, H, W, 3), got {clips.dtype} {clips.shape}")
        s = self.input_size
        batch = np.stack([
            np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_AREA)
                      for f in clip[sample_indices(len(clip), self.frames)]])
            for clip in clips])
        logits = self.model(to_input(torch.from_numpy(batch)))
        return torch.softmax(logits, dim=1).numpy()


def load_recognizer(path: str | Path) -> RecognizerProbs:
    """Load a checkpoint written by :func:`save_recognizer`; clear errors for anything else."""
    from argen_rl.recognition.models import build_model
    from argen_rl.types import EMOTIONS7

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"recognizer checkpoint not found: {path}")
    try:   # weights_only: a checkpoint from elsewhere is data, never pickled code (docs/security.md)
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(f"{path}: refused to load: it holds more than tensors and plain values "
                         f"({str(err).splitlines()[0][:120]})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not an ARGen recognizer checkpoint (expected a dict with "
                         f"format={FORMAT!r}; save one with argen_rl.calibration.recognizer.save_recognizer)")
    model = build_model(ckpt["model"], num_classes=len(EMOTIONS7), width=int(ckpt["width"]))
    model.load_state_dict(ckpt["state_dict"])
    return RecognizerProbs(model, int(ckpt["input_size"]), int(ckpt["frames"]))


def enough_clips(counts: dict, min_clips: int) -> tuple[bool, str]:
    """Whether the ORIGINAL dataset can train a recognizer expert: every one of the 7 classes has
    at least ``min_clips`` clips. Returns (decision, the sentence the run summary shows)."""
    from argen_rl.types import EMOTIONS7

    n, e = min((counts.get(e, 0), e.value) for e in EMOTIONS7)
    if n < min_clips:
        return False, (f"off: the original dataset has {n} {e} clip(s), fewer than recognizer_min_clips="
                       f"{min_clips} per class, too few to train a recognizer that could vote on that class")
    return True, f"on: every class has >= {min_clips} clips (fewest: {n} {e})"


def train_recognizer_expert(clips, overrides: dict, out_dir: str | Path, progress: bool = True) -> Path:
    """Train a recognizer on the original dataset's clips (the recognition stage's
    ``train_model``, ``RecognitionConfig`` + ``overrides``, its own validation split) and save it as
    ``out_dir/recognizer.pt``. Reused when that file exists; an interrupted training resumes from
    ``out_dir/recognizer_run`` (the recognition stage's checkpoints)."""
    from argen_rl.recognition.train import RecognitionConfig, carve_validation, train_model
    from argen_rl.types import EMOTIONS7

    out_dir = Path(out_dir)
    path = out_dir / "recognizer.pt"
    if path.is_file():
        return path
    cfg = RecognitionConfig(**overrides)
    clips = [c for c in clips if c.emotion in EMOTIONS7]
    train, val = carve_validation(clips, cfg.val_fraction, cfg.seed)
    result = train_model(cfg, cfg.dataset(train, True), cfg.dataset(val, False) if val else None,
                         run_dir=out_dir / "recognizer_run", progress=progress, tensorboard=False)
    return save_recognizer(result.model.cpu(), cfg, path)
