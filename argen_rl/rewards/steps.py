"""Temporal (steps) reward r_T (ARGen Eq. 14).

Fewer denoising steps (warp: keyframes) make generation cheaper; the reward is the fraction of the
step budget left unused:

    r_T = 1 - S / S_max                                                       # ARGen Eq. 14

S comes from ``request.params.steps``. S > S_max is a configuration error (the action set must
not exceed the budget it is normalised by), so it raises rather than giving a negative reward.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from argen_rl.types import GenRequest, Video


def make_steps_reward(S_max: int):
    """r_T for each video from the steps its request used; ``S_max`` = largest step count in the action set."""
    if S_max < 1:
        raise ValueError(f"S_max must be >= 1, got {S_max}")

    def steps_reward(videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        _check_pairs(videos, requests)
        steps = np.array([r.params.steps for r in requests], dtype=np.float64)
        if np.any(steps > S_max):
            raise ValueError(f"steps {steps.max():.0f} exceed S_max={S_max}; raise S_max to the largest step in the action set")
        r_T = 1.0 - steps / S_max  # ARGen Eq. 14
        return r_T, {"steps/S": steps}

    return steps_reward


def _check_pairs(videos: Sequence[Video], requests: Sequence[GenRequest]) -> None:
    if len(videos) != len(requests):
        raise ValueError(f"got {len(videos)} videos but {len(requests)} requests; they must pair up")
