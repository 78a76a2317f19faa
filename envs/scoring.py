"""Generate and score candidates in one process: what each generator actor runs.

``CandidateScorer`` holds one generator (argen_rl.generation.registry) and the composite reward
(argen_rl.rewards, ARGen Eq. 14-17 weighted per Eq. 18, plus r_N). ``score(requests)`` returns,
per request, a flat dict of floats: ``reward/composite``, one ``reward/<component>`` per component
and ``time/generate_s`` / ``time/score_s`` (this candidate's share of the batch's wall time).

``judge(requests)`` is the evaluation path, kept apart from the rewards: it generates the clips
and measures them with the fixed judge (``argen_rl.metrics.fixed_judge``: the held-out judge's
read, naturalness, identity, a thumbnail for diversity / FVD). Nothing it returns reaches a
reward, the reward cache or the policy's training.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from argen_rl.types import GenRequest
from envs.config import EnvConfig

COMPOSITE = "reward/composite"
RECORDED = ("reward/", "expression/", "naturalness/")
"""Per-candidate info kept in each reward dict (and so in the cache and the training metrics):
every component and the parts of r_E (amplitude, agreement, each expert's p) and r_N (jump,
frozen, step, held seconds)."""


class CandidateScorer:
    """Generator + composite reward: ``score(requests) -> list[dict[str, float]]``."""

    def __init__(self, cfg: EnvConfig):
        from argen_rl.generation.registry import make_generator

        g = cfg.generation
        self.generator = make_generator(g.generator, dict(g.generator_config))
        self.generator_id: str = self.generator.generator_id
        self._reward_cfg = cfg.reward
        self._reward = None
        self._timings = None

    @property
    def reward(self):
        """The composite reward, loaded on first use (an augmentation actor only generates)."""
        if self._reward is None:
            from argen_rl.rewards import CompositeReward

            self._reward = CompositeReward.from_config(self._reward_cfg)
        return self._reward

    def generate(self, requests: Sequence[GenRequest]) -> list:
        """The videos alone, in one generate call (what augmentation asks an actor for)."""
        return self.generator.generate(list(requests)) if requests else []

    def score(self, requests: Sequence[GenRequest]) -> list[dict[str, float]]:
        if not requests:
            return []
        # 1. generate every candidate video
        t0 = time.perf_counter()
        videos = self.generator.generate(list(requests))
        t1 = time.perf_counter()
        # 2. score them: composite + per-component arrays
        scores, info = self.reward(videos, list(requests))
        t2 = time.perf_counter()
        n = len(requests)
        out = []
        for i in range(n):
            row = {COMPOSITE: float(scores[i]),
                   "time/generate_s": (t1 - t0) / n, "time/score_s": (t2 - t1) / n}
            for key, arr in info.items():
                if key.startswith(RECORDED) and np.ndim(arr) == 1 and len(arr) == n:
                    row[key] = float(arr[i])
            out.append(row)
        return out

    def judge(self, requests: Sequence[GenRequest], thumb_size: int = 64) -> list[dict]:
        """The fixed judge's measurements of each request's clip (evaluation only; see above)."""
        from argen_rl.metrics.fixed_judge import judge_clip
        from argen_rl.rewards.timing import load_timings

        if not requests:
            return []
        if self._timings is None:       # read once per scorer, as the reward does
            self._timings = load_timings(self._reward_cfg.timings)
        videos = self.generator.generate(list(requests))
        return [judge_clip(v, r.emotion, self._timings[r.emotion], thumb_size) for v, r in zip(videos, requests)]


def make_scorer(cfg: EnvConfig):
    """The scorer named by ``cfg.rollout.scorer``."""
    if cfg.rollout.scorer == "synthetic":
        from envs.synthetic import SyntheticScorer

        return SyntheticScorer(cfg)
    return CandidateScorer(cfg)
