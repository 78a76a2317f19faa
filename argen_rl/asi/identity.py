"""Identity frame selection (ARGen Eq. 6; supplementary C, Eq. 22-26).

For each neutral clip of the non-scarce subset, every candidate frame is checked in order:

1. quality (supp. Eq. 22, 25, 26): sharp enough (Laplacian variance), not too dark / bright,
   enough contrast, shorter side large enough -> ``argen_rl.face.quality``;
2. a face is detected;
3. the AU intensities are estimated in single-image mode (relative to the canonical neutral
   shape) and the frame with the lowest mean AU intensity is kept (Eq. 6 / 23-24).

Every rejected frame is reported with its reasons; a clip with no surviving frame yields no
identity (reported too).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from argen_rl.face.quality import FrameQuality, frame_quality, quality_reasons, QualityThresholds
from argen_rl.video_io import sample_indices

NO_FACE = "no face detected"
NO_LANDMARKS = "no face landmarks (AUs not measurable)"


@dataclass
class FrameRejection:
    clip_id: str
    frame_index: int          # index in the clip (-1: the whole clip)
    reasons: list[str]
    quality: FrameQuality | None = None

    def row(self) -> dict:
        q = self.quality.as_dict() if self.quality else {}
        return {"clip_id": self.clip_id, "frame_index": self.frame_index, "reasons": "; ".join(self.reasons),
                **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in q.items()}}


@dataclass
class IdentityChoice:
    """Outcome for one clip: the chosen frame (or None) and why the others were rejected."""

    clip_id: str
    frame_index: int | None
    image: np.ndarray | None
    mean_au: float | None
    candidates: dict[int, float] = field(default_factory=dict)   # kept frame index -> mean AU (Eq. 23)
    rejections: list[FrameRejection] = field(default_factory=list)


def candidate_indices(n_frames: int, max_frames: int | None) -> np.ndarray:
    """All frames, or ``max_frames`` spread uniformly over the clip (no duplicates)."""
    if max_frames is None or n_frames <= max_frames:
        return np.arange(n_frames)
    return np.unique(sample_indices(n_frames, max_frames))


def select_identity_frame(
    clip_id: str,
    frames: np.ndarray,
    thresholds: QualityThresholds,
    detect: Callable[[np.ndarray], list],
    estimate_aus: Callable[[np.ndarray], np.ndarray],
    indices: Sequence[int] | None = None,
) -> IdentityChoice:
    """Apply the quality, face and AU criteria to ``frames`` (T,H,W,3) of one clip.

    ``detect(img) -> boxes`` and ``estimate_aus(img (1,H,W,3)) -> (1, n_AU)`` are injected so the
    caller picks the detector / AU estimator (the face toolkit's, from config).
    """
    idx = list(range(len(frames))) if indices is None else [int(i) for i in indices]
    choice = IdentityChoice(clip_id, None, None, None)
    for i in idx:
        img = frames[i]
        q = frame_quality(img)
        reasons = quality_reasons(q, thresholds)                       # supp. Eq. 22, 25, 26
        if not reasons and not detect(img):
            reasons = [NO_FACE]
        if reasons:
            choice.rejections.append(FrameRejection(clip_id, i, reasons, q))
            continue
        aus = np.asarray(estimate_aus(img[None]), np.float64)[0]
        if not np.isfinite(aus).all():
            choice.rejections.append(FrameRejection(clip_id, i, [NO_LANDMARKS], q))
            continue
        choice.candidates[i] = float(np.mean(aus))                     # ARGen Eq. 23: mean AU intensity
    if choice.candidates:
        best = min(choice.candidates, key=lambda k: (choice.candidates[k], k))   # Eq. 6 / 24: argmin
        choice.frame_index, choice.image, choice.mean_au = best, frames[best], choice.candidates[best]
    return choice
