"""Optional KB enrichment: AU intensity statistics of the dataset's scarce clips (ARGen §3.2:
the knowledge base is built from FACS literature *and* the scarce subset).

Per scarce emotion and AU, the mean peak intensity over its clips becomes the centre around which
candidate intensities are sampled. Sources, in order: CK+ FACS files (``DatasetIndex.facs``;
coded intensities 1..5, 0 = present but not coded -> skipped), else the face toolkit's AU
estimator on each clip relative to its first frame (onset), peak over the clip.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

import numpy as np

from argen_rl.types import Clip, Emotion


def au_centres_from_facs(facs: dict[str, dict[int, float]], clips: Iterable[Clip]) -> dict[Emotion, dict[int, float]]:
    """Mean coded intensity per (emotion, AU) over clips with a FACS file."""
    acc: dict[Emotion, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for c in clips:
        for au, v in facs.get(c.clip_id, {}).items():
            if v > 0:
                acc[c.emotion][int(au)].append(float(v))
    return {e: {au: round(float(np.mean(v)), 3) for au, v in sorted(d.items())} for e, d in acc.items()}


def au_centres_from_video(videos: Iterable[tuple[Emotion, np.ndarray]],
                          estimate: Callable[[np.ndarray], np.ndarray], au_set: tuple[int, ...]) -> dict[Emotion, dict[int, float]]:
    """Mean over clips of each AU's peak intensity (estimated relative to the clip's first frame)."""
    acc: dict[Emotion, list[np.ndarray]] = defaultdict(list)
    for emotion, frames in videos:
        aus = np.asarray(estimate(frames), np.float64)        # (T, n_AU), reference = first frame
        acc[emotion].append(np.nanmax(aus, axis=0))
    return {e: {au: round(float(v), 3) for au, v in zip(au_set, np.mean(peaks, axis=0))} for e, peaks in acc.items()}


def apply_centres(kb, centres: dict[Emotion, dict[int, float]], low: float, high: float) -> dict[str, dict[int, float]]:
    """Store centres (only allowed AUs, clipped to [low, high]) on ``kb``; returns what was stored."""
    stored = {}
    for e, d in centres.items():
        allowed = kb.allowed_aus(e)
        kept = {au: float(np.clip(v, low, high)) for au, v in d.items() if au in allowed and np.isfinite(v)}
        if kept:
            kb.au_centres[e] = kept
            stored[e.value] = kept
    return stored
