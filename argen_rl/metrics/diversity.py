"""Diversity of generated clips: mean pairwise distance between clips of the same condition.

For each condition c (e.g. a context: identity image + target emotion) with clips V_1..V_n:

    div(c) = 2 / (n (n - 1)) * sum_{i<j} (1/T) sum_t d(V_i[t], V_j[t])

and the reported diversity is the mean of div(c) over conditions with >= 2 clips. Two frame
distances: LPIPS (``d = LPIPS``; needs weights, see ``argen_rl.metrics.lpips``) and the weights-
free ``d = 1 - SSIM`` (scikit-image, Gaussian-free 7x7 windows, RGB), which always runs.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import cv2
import numpy as np
import torch
from skimage.metrics import structural_similarity
from tqdm.auto import tqdm

from argen_rl.video_io import sample_indices

FrameDistance = Callable[[np.ndarray, np.ndarray], float]


def _align(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Same frame count (uniform sampling to the shorter) and size (b resized to a)."""
    for v in (a, b):
        if v.dtype != np.uint8 or v.ndim != 4 or v.shape[-1] != 3:
            raise ValueError(f"expected uint8 (T, H, W, 3) videos, got {v.dtype} {v.shape}")
    t = min(len(a), len(b))
    a, b = a[sample_indices(len(a), t)], b[sample_indices(len(b), t)]
    if a.shape[1:3] != b.shape[1:3]:
        b = np.stack([cv2.resize(f, (a.shape[2], a.shape[1]), interpolation=cv2.INTER_AREA) for f in b])
    return a, b


def ssim_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frame-averaged 1 - SSIM between two uint8 videos."""
    a, b = _align(a, b)
    return float(np.mean([1.0 - structural_similarity(x, y, channel_axis=-1, data_range=255)
                          for x, y in zip(a, b)]))


def lpips_distance(model: torch.nn.Module, size: int | None = None) -> FrameDistance:
    """Frame-averaged LPIPS between two uint8 videos with ``model`` (an ``LPIPS``)."""

    @torch.no_grad()
    def distance(a: np.ndarray, b: np.ndarray) -> float:
        a, b = _align(a, b)
        ta, tb = (torch.from_numpy(v).permute(0, 3, 1, 2).float() / 127.5 - 1.0 for v in (a, b))
        if size is not None:
            ta, tb = (torch.nn.functional.interpolate(t, size=(size, size), mode="bilinear",
                                                      align_corners=False, antialias=True) for t in (ta, tb))
        return float(model(ta, tb).mean())

    return distance


@dataclass
class Diversity:
    value: float                                  # mean over conditions with >= 2 clips
    per_condition: dict[Hashable, float]
    pairs: int
    singletons: list[Hashable] = field(default_factory=list)  # conditions with one clip (no pair)


def diversity_by_condition(videos: Sequence[np.ndarray], conditions: Sequence[Hashable],
                           distance: FrameDistance = ssim_distance, progress: bool = True) -> Diversity:
    """Mean pairwise frame-averaged distance within each condition, averaged over conditions."""
    if len(videos) != len(conditions):
        raise ValueError(f"{len(videos)} videos but {len(conditions)} condition labels")
    groups: dict[Hashable, list[int]] = {}
    for i, c in enumerate(conditions):
        groups.setdefault(c, []).append(i)
    total = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    per: dict[Hashable, float] = {}
    singletons = [c for c, g in groups.items() if len(g) < 2]
    with tqdm(total=total, desc="diversity pairs", disable=not progress, unit="pair") as bar:
        for c, idx in groups.items():
            if len(idx) < 2:
                continue
            ds = []
            for i, j in combinations(idx, 2):
                ds.append(distance(videos[i], videos[j]))
                bar.update(1)
            per[c] = float(np.mean(ds))
    value = float(np.mean(list(per.values()))) if per else float("nan")
    return Diversity(value, per, total, singletons)
