"""Recognition metrics (DFER conventions) and prediction.

- WAR (weighted average recall) = overall accuracy = sum_c TP_c / N;
- UAR (unweighted average recall) = mean over classes of recall_c = TP_c / N_c, over the classes
  that occur in the test labels (a class with no test clip has no defined recall: NaN, excluded);
- per-class recall, e.g. AR-SU / AR-DI / AR-FE (surprise, disgust, fear) in the paper's table.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from argen_rl.types import EMOTIONS7, Emotion


@dataclass
class RecognitionMetrics:
    war: float
    uar: float
    recall: dict[Emotion, float]   # NaN where the class has no test clip
    confusion: np.ndarray          # (C, C) rows = true class, cols = predicted
    n: int

    def as_row(self) -> dict[str, float]:
        row = {"WAR": 100 * self.war, "UAR": 100 * self.uar}
        row.update({f"AR-{e.value}": 100 * r for e, r in self.recall.items()})
        return row


def recognition_metrics(y_true, y_pred, num_classes: int = 7) -> RecognitionMetrics:
    """WAR, UAR, per-class recall and the confusion matrix of integer labels."""
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"need two equal-length non-empty label vectors, got {y_true.shape} and {y_pred.shape}")
    if y_true.min() < 0 or max(y_true.max(), y_pred.max()) >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    conf = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(conf, (y_true, y_pred), 1)
    support = conf.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, np.diag(conf) / support, np.nan)
    war = float(np.trace(conf) / len(y_true))
    uar = float(np.nanmean(recall))
    names = EMOTIONS7 if num_classes == len(EMOTIONS7) else [Emotion.from_index(i) for i in range(num_classes)]
    return RecognitionMetrics(war, uar, {e: float(r) for e, r in zip(names, recall)}, conf, len(y_true))


def to_input(frames_u8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, T, H, W, 3) -> float (N, T, 3, H, W) in [-1, 1] (the encoders' input)."""
    return frames_u8.permute(0, 1, 4, 2, 3).float().div(127.5).sub(1.0)


@torch.no_grad()
def predict(model: torch.nn.Module, loader, device: torch.device | None = None,
            amp: torch.dtype | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """(true labels, predicted labels, skipped clip id -> reason) over a loader of
    ``recognition.data.collate_clips`` batches."""
    from argen_rl.recognition.runtime import autocast, to_device

    device = device or next(model.parameters()).device
    model.eval()
    y_true, y_pred, skipped = [], [], {}
    for batch in loader:
        skipped.update(batch["skipped"])
        if not len(batch["labels"]):
            continue
        frames, labels = to_device(batch, device)
        with autocast(device, amp):
            logits = model(to_input(frames))
        y_pred.append(logits.argmax(dim=1).cpu())
        y_true.append(labels.cpu())
    if not y_true:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), skipped
    return torch.cat(y_true).numpy(), torch.cat(y_pred).numpy(), skipped
