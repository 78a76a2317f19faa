"""Reward registry and the weighted composite sum_k lam_k r_k used by the top-k rule (Eq. 18).

    reward = CompositeReward({"steps": 0.1, "quality": 0.2, "face": 0.2, "expression": 0.3,
                              "naturalness": 0.2},
                             {"steps": {"S_max": 50}, "expression": {"A_max": 5.5}})
    scores, info = reward(videos, requests)
    info["reward/quality"]   # per-video r_Q; likewise reward/steps, reward/face, reward/expression,
                             # reward/naturalness

Components whose weight is 0 are neither built nor computed (the face and AU models are not even
loaded), so an ablation that switches a reward off also saves its time.
"""
from __future__ import annotations

import inspect
import time
from typing import Any, Callable, Sequence

import numpy as np
from pydantic import Field

from argen_rl.config import StrictModel
from argen_rl.rewards.expression import make_expression_reward
from argen_rl.rewards.face import make_face_reward
from argen_rl.rewards.naturalness import make_naturalness_reward
from argen_rl.rewards.quality import make_quality_reward
from argen_rl.rewards.steps import make_steps_reward
from argen_rl.types import GenRequest, Video

DEFAULT_WEIGHTS = {"steps": 0.1, "quality": 0.2, "face": 0.2, "expression": 0.3, "naturalness": 0.2}
"""Default lam_k (docs/rewards.md, "Weights")."""

RewardFn = Callable[[Sequence[Video], Sequence[GenRequest]], "tuple[np.ndarray, dict]"]

REWARDS: dict[str, Callable[..., RewardFn]] = {
    "steps": make_steps_reward,            # r_T, ARGen Eq. 14
    "quality": make_quality_reward,        # r_Q, ARGen Eq. 15
    "face": make_face_reward,              # r_F, ARGen Eq. 16
    "expression": make_expression_reward,  # r_E, ARGen Eq. 17 (+ the experts' target agreement)
    "naturalness": make_naturalness_reward,  # r_N, our addition: no one-frame jumps, no frozen apex
}


def make_reward(name: str, cfg: dict[str, Any] | None = None) -> RewardFn:
    """Build reward ``name`` with factory arguments ``cfg``; unknown names/options fail clearly."""
    if name not in REWARDS:
        raise ValueError(f"unknown reward {name!r}; expected one of: {', '.join(REWARDS)}")
    factory = REWARDS[name]
    cfg = dict(cfg or {})
    valid = list(inspect.signature(factory).parameters)
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise ValueError(f"reward {name!r}: unknown option(s) {unknown}; valid: {valid or 'none'}")
    return factory(**cfg)


class RewardConfig(StrictModel):
    """Rewards of the ARD bandit: component weights, their parameters and the top-k rule."""

    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """lam_k of the composite sum_k lam_k r_k (Eq. 18); a weight of 0 switches a reward off. The
    defaults and why: docs/rewards.md ("Weights")."""
    S_max: int = 50
    """r_T: the largest step count of the action set (Eq. 14)."""
    lam: float = 0.5
    """r_Q: weight of per-frame quality against inter-frame SSIM (Eq. 15)."""
    sharpness_scale: float = 100.0
    """r_Q: Laplacian variance at which the sharpness score reaches 63 %."""
    contrast_scale: float = 40.0
    """r_Q: grey-level std at which the contrast score reaches 63 %."""
    A_max: float = 8.5
    """r_E: largest reasonable AU-vector L2 norm (0..5 scale) of ``au_estimator``'s AUs; beyond it
    r_E falls (Eq. 17). 8.5 = the pls reader at a marked (C) surprise (docs/rewards.md)."""
    agreement_weight: float = 0.5
    """r_E: share of the experts' target agreement (0 = amplitude only, the paper's form)."""
    experts: list[str] = Field(default_factory=lambda: ["fer", "au"])
    """r_E: label experts whose mean probability of the target emotion is the agreement (names of
    ``argen_rl.calibration.calibrator.make_experts``, the same experts label calibration uses)."""
    n_peak: int = 4
    """r_E: frames the experts read, the n most changed from the neutral first frame (the
    clip's peak, as label calibration reads it); 0 = every generated frame."""
    au_estimator: str = "pls"
    """r_E amplitude: the AU reader (``argen_rl.face.au.make_au_estimator``): "pls", py-feat's
    data-fitted AU -> mesh model inverted, which shares nothing with the warp generator's fields
    ("geometric" does: its gains were set from them)."""
    timings: str | None = None
    """r_N: per-emotion onset / apex timings measured on the dataset (JSON from
    ``argen_rl.rewards.timing.save_timings``); None = the FACS literature's (rewards/timing.py)."""
    k: int = 2
    """Top-k rule: the policy's candidate must rank in the top k of the pool (Eq. 18)."""
    delta: float = 0.1
    """Top-k rule: penalty -delta outside the top k (Eq. 18)."""

    def component_cfg(self) -> dict[str, dict[str, Any]]:
        return {
            "steps": {"S_max": self.S_max},
            "quality": {"lam": self.lam, "sharpness_scale": self.sharpness_scale, "contrast_scale": self.contrast_scale},
            "face": {},
            "expression": {"A_max": self.A_max, "agreement_weight": self.agreement_weight,
                           "estimator": self.au_estimator, "experts": list(self.experts), "n_peak": self.n_peak},
            "naturalness": {"timings": self.timings},
        }


class CompositeReward:
    """sum_k lam_k r_k over the components with non-zero weight; per-component arrays in info."""

    def __init__(self, weights: dict[str, float], cfg: dict[str, dict[str, Any]] | None = None) -> None:
        unknown = sorted(set(weights) - set(REWARDS))
        if unknown:
            raise ValueError(f"unknown reward(s) {unknown} in weights; expected names from: {', '.join(REWARDS)}")
        negative = {n: w for n, w in weights.items() if w < 0}
        if negative:
            raise ValueError(f"reward weights must be >= 0, got {negative}")
        cfg = cfg or {}
        self.weights = {n: float(w) for n, w in weights.items() if w > 0}
        if not self.weights:
            raise ValueError("all reward weights are 0: nothing to optimise")
        self.fns = {n: make_reward(n, cfg.get(n)) for n in self.weights}

    @classmethod
    def from_config(cls, config: RewardConfig) -> "CompositeReward":
        return cls(config.weights, config.component_cfg())

    def __call__(self, videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        total = np.zeros(len(videos), dtype=np.float64)
        info: dict[str, Any] = {}
        for name, fn in self.fns.items():
            t0 = time.perf_counter()
            r, extra = fn(videos, requests)
            info[f"time/reward_{name}_s"] = time.perf_counter() - t0
            info[f"reward/{name}"] = r
            info.update(extra)
            total += self.weights[name] * r
        return total, info
