"""Temporal naturalness r_N (our addition to ARGen's rewards): no one-frame jumps, no frozen apex.

ARGen's rewards (Eq. 14-17) score steps, frame quality, face presence and AU amplitude; none of
them looks at *how* the expression unfolds. Measured on main before this term: the trained policy
took a = b = 1 with the fewest keyframes everywhere, a clip that reaches its apex by frame 4 and
holds it unchanged for the remaining 12 frames. Real expressions build over a few hundred
milliseconds and do not hold still for long (``argen_rl.rewards.timing`` gives the numbers and
their sources). r_N scores one clip's motion trajectory x_t (``clip_measures.flow_trajectory``:
non-rigid optical-flow displacement from frame 0) against its emotion's timing. With
nu = ``still_step`` (the largest frame-to-frame change of a still face: measurement noise):

    peak  = max_t x_t;  s_t = x_t / peak                     (the expression's course, 0..1)
    allow = min(1, 1 / (onset_min_s * fps))                  (largest step a plausible onset makes)
    step  = max_t (|x_t - x_{t-1}| - nu)+ / peak             (noise taken off)
    jump  = clip((step - allow) / (1 - allow), 0, 1)
    held  = longest stretch of frames with s_t >= 1/2 whose range (max - min) is <= 2 nu, seconds
    frozen = clip((held - apex_max_s) / apex_max_s, 0, 1)
    r_N   = (1 - jump) * (1 - frozen)                        in [0, 1]

A clip whose peak stays below ``min_peak`` (a still face's largest displacement) shows no
expression at all: it is frozen from start to end and scores 0. The fixed judge applies the same
scoring to the face-mesh trajectory (``clip_measures.mesh_trajectory``, ``metrics.fixed_judge``),
so what the reward optimises and what the evaluation measures share the criterion but not the
instrument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from argen_rl.rewards.steps import _check_pairs
from argen_rl.rewards.clip_measures import FLOW_MIN_MOTION, FLOW_STILL_STEP
from argen_rl.rewards.timing import EmotionTiming, fill_nan, load_timings
from argen_rl.types import GenRequest, Video

@dataclass(frozen=True)
class Naturalness:
    score: float
    jump: float              # 0 = no step larger than a plausible onset's
    frozen: float            # 0 = no unchanged stretch longer than the apex may hold
    step_max: float          # largest single-frame step, share of the peak
    held_s: float            # longest unchanged expressive stretch, seconds
    peak: float


def naturalness_score(x: np.ndarray, fps: float, timing: EmotionTiming, min_peak: float = FLOW_MIN_MOTION,
                      still_step: float = FLOW_STILL_STEP) -> Naturalness:
    """r_N of one trajectory ``x`` (T,), frame 0 = the neutral start (module docstring); ``min_peak``
    and ``still_step`` are in the trajectory's units."""
    x = fill_nan(np.asarray(x, np.float64))
    if len(x) < 2:
        raise ValueError(f"naturalness needs >= 2 frames, got {len(x)}")
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    peak = float(x.max())
    if peak < min_peak:
        return Naturalness(0.0, 0.0, 1.0, 0.0, len(x) / fps, peak)
    step = float(np.maximum(np.abs(np.diff(x)) - still_step, 0.0).max() / peak)
    allow = min(1.0, 1.0 / (timing.onset_min_s * fps))
    jump = float(np.clip((step - allow) / (1.0 - allow), 0.0, 1.0)) if allow < 1.0 else 0.0
    held = held_frames(x, x >= 0.5 * peak, 2.0 * still_step) / fps
    frozen = float(np.clip((held - timing.apex_max_s) / timing.apex_max_s, 0.0, 1.0))
    return Naturalness((1.0 - jump) * (1.0 - frozen), jump, frozen, step, held, peak)


def held_frames(x: np.ndarray, expressive: np.ndarray, band: float) -> int:
    """Frames in the longest run of ``expressive`` frames whose values stay within ``band``."""
    best, start = 0, 0
    for end in range(len(x)):
        if not expressive[end]:
            start = end + 1
            continue
        while x[start:end + 1].max() - x[start:end + 1].min() > band:
            start += 1
        best = max(best, end - start + 1)
    return best


def make_naturalness_reward(timings: str | None = None, min_peak: float = FLOW_MIN_MOTION,
                            still_step: float = FLOW_STILL_STEP):
    """r_N per video from its motion trajectory; ``timings``: a JSON of per-emotion timings
    measured on the dataset (``timing.save_timings``), else the literature's."""
    if min_peak <= 0 or still_step < 0:
        raise ValueError(f"min_peak must be > 0 and still_step >= 0, got {min_peak}, {still_step}")
    from argen_rl.rewards.clip_measures import flow_trajectory

    table = load_timings(timings)

    def naturalness_reward(videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        _check_pairs(videos, requests)
        parts = [naturalness_score(flow_trajectory(v), v.fps, table[req.emotion], min_peak, still_step)
                 for v, req in zip(videos, requests)]
        r_N = np.array([p.score for p in parts], dtype=np.float64)
        info = {f"naturalness/{k}": np.array([getattr(p, k) for p in parts], dtype=np.float64)
                for k in ("jump", "frozen", "step_max", "held_s")}
        return r_N, info

    return naturalness_reward
