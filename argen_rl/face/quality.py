"""Frame quality checks of ARGen's identity-frame selection (supplementary Eq. 22, 25, 26).

A frame passes when it is sharp (Laplacian variance), well lit (mean grey level inside a band),
contrasted (grey standard deviation) and large enough (shorter side). All measures are on the
grey image (cv2 BT.601 weights) in 0..255 units.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import cv2
import numpy as np

from argen_rl.config import StrictModel
from argen_rl.face.detect import check_image


class QualityThresholds(StrictModel):
    """Pass/fail limits for one frame (defaults measured on the real photos, see docs/face.md)."""

    min_sharpness: float = 100.0
    """Laplacian variance below this = blurred (ARGen Eq. 22). Sharp photos score 850-3700 at
    128-512 px; a Gaussian blur with sigma 2 px drops them to 12-32."""
    min_brightness: float = 40.0
    """Mean grey level (0..255) below this = too dark (ARGen Eq. 25)."""
    max_brightness: float = 220.0
    """Mean grey level above this = washed out (ARGen Eq. 25)."""
    min_contrast: float = 20.0
    """Grey-level standard deviation below this = flat (ARGen Eq. 26)."""
    min_side: int = 64
    """Shorter image side in pixels below this = too small."""


@dataclass(frozen=True)
class FrameQuality:
    sharpness: float   # variance of the Laplacian of the grey image
    brightness: float  # mean grey level
    contrast: float    # grey-level standard deviation
    min_side: int      # min(H, W)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def frame_quality(img: np.ndarray) -> FrameQuality:
    """Measure one uint8 HxWx3 RGB frame."""
    gray = cv2.cvtColor(check_image(img), cv2.COLOR_RGB2GRAY)
    sharpness = float(cv2.Laplacian(gray, cv2.CV_64F).var())     # ARGen Eq. 22
    mean, std = cv2.meanStdDev(gray)
    return FrameQuality(sharpness=sharpness,
                        brightness=float(mean[0, 0]),             # ARGen Eq. 25
                        contrast=float(std[0, 0]),                # ARGen Eq. 26
                        min_side=int(min(gray.shape)))


def frame_quality_batch(frames: np.ndarray | Sequence[np.ndarray]) -> list[FrameQuality]:
    """``frame_quality`` for every frame of a (T, H, W, 3) video or a list of images."""
    return [frame_quality(f) for f in frames]


def quality_reasons(q: FrameQuality, thr: QualityThresholds | None = None) -> list[str]:
    """Why a frame fails (empty list = it passes)."""
    thr = thr or QualityThresholds()
    reasons = []
    if q.sharpness < thr.min_sharpness:
        reasons.append(f"blurred: sharpness {q.sharpness:.1f} < {thr.min_sharpness:g}")
    if q.brightness < thr.min_brightness:
        reasons.append(f"too dark: brightness {q.brightness:.1f} < {thr.min_brightness:g}")
    if q.brightness > thr.max_brightness:
        reasons.append(f"too bright: brightness {q.brightness:.1f} > {thr.max_brightness:g}")
    if q.contrast < thr.min_contrast:
        reasons.append(f"low contrast: contrast {q.contrast:.1f} < {thr.min_contrast:g}")
    if q.min_side < thr.min_side:
        reasons.append(f"too small: min side {q.min_side} < {thr.min_side}")
    return reasons
