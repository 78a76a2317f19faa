"""A closed-form stand-in scorer for testing the Ray plumbing ONLY (never for results).

It generates no video. Its "composite reward" is the real r_T of ARGen Eq. 14 plus a term
rewarding a guidance-curve peak (the mode (a-1)/(a+b-2) of the Eq. 12 curve) near a target that
depends on the context's emotion, so the best action differs between contexts and a policy must
read its observation. ``generator_config["delay_s"]`` adds a per-candidate sleep so tests can
kill an actor while calls are in flight. The env and actors treat it exactly like the real
``CandidateScorer``.
"""
from __future__ import annotations

import time
from typing import Sequence


from argen_rl.types import EMOTIONS7, GenRequest
from envs.config import EnvConfig
from envs.scoring import COMPOSITE


def curve_peak(a: float, b: float) -> float:
    """Mode of tau^(a-1) (1-tau)^(b-1) on [0, 1] (0.5 when flat or U-shaped)."""
    if a > 1 and b > 1:
        return (a - 1) / (a + b - 2)
    if a > 1 >= b:
        return 1.0
    if b > 1 >= a:
        return 0.0
    return 0.5


class SyntheticScorer:
    def __init__(self, cfg: EnvConfig):
        self.s_max = cfg.actions.space().s_max
        self.delay_s = float(cfg.generation.generator_config.get("delay_s", 0.0))
        self.generator_id = "synthetic-v1"

    def score(self, requests: Sequence[GenRequest]) -> list[dict[str, float]]:
        out = []
        for r in requests:
            if self.delay_s:
                time.sleep(self.delay_s)
            r_t = 1.0 - r.params.steps / self.s_max                      # ARGen Eq. 14
            target = (EMOTIONS7.index(r.emotion) % 3) / 2.0                # 0, 0.5 or 1
            r_peak = 1.0 - abs(curve_peak(r.params.a, r.params.b) - target)
            out.append({COMPOSITE: 0.3 * r_t + 0.7 * r_peak, "reward/steps": r_t,
                        "reward/peak": r_peak, "time/generate_s": self.delay_s, "time/score_s": 0.0})
        return out
