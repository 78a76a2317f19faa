"""Quality reward r_Q (ARGen Eq. 15): per-frame quality and inter-frame consistency.

    r_Q = lam * (1/F) sum_f q_f + (1 - lam) * 1/(F-1) sum_f SSIM(frame_f, frame_f+1)   # ARGen Eq. 15

- SSIM: ``skimage.metrics.structural_similarity`` on the grey-level frames (data_range 255,
  default 7x7 window), as the paper's supplement prescribes scikit-image. Identical consecutive
  frames give 1; flicker and jumps lower it. A negative SSIM (anti-correlated frames) is clipped
  to 0 so r_Q stays in [0, 1].
- q_f: the mean of two saturating scores computed from ``argen_rl.face.quality.frame_quality``
  (the same sharpness and contrast the identity-frame filter of Eq. 22/26 uses):

      s_f = 1 - exp(-sharpness_f / sharpness_scale)    sharpness = variance of the Laplacian
      c_f = 1 - exp(-contrast_f / contrast_scale)      contrast  = std of grey levels
      q_f = (s_f + c_f) / 2

  The scales set where each score reaches 63 %. Defaults are measured on the real test photos
  resized to 256x256 (the generation size): a sharp face has Laplacian variance ~1700-1900
  (s ~ 1.0), the same face Gaussian-blurred with sigma 3 has ~6 (s ~ 0.06); grey std is ~68-75
  for those photos (c ~ 0.82-0.85 at scale 40) and 0 for a flat frame.

``lam`` weights per-frame quality against temporal consistency; the paper takes it from
Tu et al. 2021 without printing the value in the text we have, so the default is 0.5.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
from skimage.metrics import structural_similarity

from argen_rl.rewards.steps import _check_pairs
from argen_rl.types import GenRequest, Video


def saturate(x: np.ndarray | float, scale: float) -> np.ndarray:
    """1 - exp(-x / scale): 0 at x=0, 0.63 at x=scale, -> 1 as x grows (x clipped at 0)."""
    return 1.0 - np.exp(-np.maximum(np.asarray(x, dtype=np.float64), 0.0) / scale)


def frame_scores(frames: np.ndarray, sharpness_scale: float, contrast_scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame (q_f, raw sharpness, raw contrast) for one video (T,H,W,3)."""
    from argen_rl.face.quality import frame_quality

    qs = [frame_quality(f) for f in frames]
    sharp = np.array([q.sharpness for q in qs], dtype=np.float64)
    contrast = np.array([q.contrast for q in qs], dtype=np.float64)
    q = 0.5 * (saturate(sharp, sharpness_scale) + saturate(contrast, contrast_scale))
    return q, sharp, contrast


def temporal_ssim(frames: np.ndarray) -> np.ndarray:
    """SSIM(frame_f, frame_f+1) on grey frames, f = 1..F-1, clipped to [0, 1]; (F-1,) float64."""
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    s = [structural_similarity(a, b, data_range=255) for a, b in zip(grey[:-1], grey[1:])]
    return np.clip(np.array(s, dtype=np.float64), 0.0, 1.0)


def make_quality_reward(lam: float = 0.5, sharpness_scale: float = 100.0, contrast_scale: float = 40.0):
    """r_Q per video (ARGen Eq. 15); see the module docstring for q_f and the scales."""
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam}")
    if sharpness_scale <= 0 or contrast_scale <= 0:
        raise ValueError("sharpness_scale and contrast_scale must be > 0")

    def quality_reward(videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        _check_pairs(videos, requests)
        n = len(videos)
        q_mean, ssim_mean = np.zeros(n), np.zeros(n)
        sharp_mean, contrast_mean = np.zeros(n), np.zeros(n)
        for i, v in enumerate(videos):
            if len(v.frames) < 2:
                raise ValueError(f"video {i} has {len(v.frames)} frame(s); r_Q needs >= 2 for SSIM")
            q, sharp, contrast = frame_scores(v.frames, sharpness_scale, contrast_scale)
            q_mean[i], sharp_mean[i], contrast_mean[i] = q.mean(), sharp.mean(), contrast.mean()
            ssim_mean[i] = temporal_ssim(v.frames).mean()
        r_Q = lam * q_mean + (1.0 - lam) * ssim_mean  # ARGen Eq. 15
        info = {"quality/frame_q": q_mean, "quality/ssim": ssim_mean,
                "quality/sharpness": sharp_mean, "quality/contrast": contrast_mean}
        return r_Q, info

    return quality_reward
