"""Typed configuration of the ARD bandit env and its rollout workers (one docstring per field).

The env receives ``EnvConfig.model_dump()`` as its RLlib ``env_config`` dict and validates it
back, so a misspelt key fails in the env runner with the key's name.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from argen_rl.config import StrictModel
from argen_rl.generation.config import GenerationConfig as BaseGenerationConfig
from argen_rl.rewards import RewardConfig
from argen_rl.policy.actions import DEFAULT_A, DEFAULT_B, DEFAULT_STEPS, ActionSpace


class ActionSetsConfig(StrictModel):
    steps: list[int] = list(DEFAULT_STEPS)
    """S: denoising steps (ti2v) / keyframes (warp) the policy chooses from (ARGen Eq. 13)."""
    a: list[float] = list(DEFAULT_A)
    """Choices for the guidance-curve shape a (ARGen Eq. 12)."""
    b: list[float] = list(DEFAULT_B)
    """Choices for the guidance-curve shape b (ARGen Eq. 12)."""

    def space(self) -> ActionSpace:
        return ActionSpace(steps=tuple(self.steps), a=tuple(self.a), b=tuple(self.b))


class GenerationConfig(BaseGenerationConfig):
    size: int = 128
    """Square output side in pixels (the paper uses 256; 128 keeps CPU training quick)."""
    seeds_per_context: int = 1
    """Generation seeds drawn per context (seed = context seed + j, j < this); keeps the cache
    useful while still averaging over a few noise draws when > 1."""


class RolloutConfig(StrictModel):
    scorer: Literal["argen", "synthetic"] = "argen"
    """"argen" = the real generator + composite reward; "synthetic" = envs/synthetic.py, a cheap
    closed-form bandit used ONLY to test the Ray plumbing (never for results)."""
    num_actors: int = 1
    """Generator actors (0 = evaluate in the env's own process; only for tests/benchmarks)."""
    dispatch: Literal["pool", "spread"] = "pool"
    """"pool": each candidate pool goes whole to ONE actor (pools round robin over the actors;
    concurrent env runners keep them all busy), so the ti2v generator samples it as one batch.
    "spread": each pool is split across the actors (CPU warp actors, where batching gains
    nothing and one pool's latency matters)."""
    num_cpus: float = 0.0
    """CPUs each generator actor reserves (0 or a fraction on small machines: see RAY_NOTES)."""
    num_gpus: float = 0.0
    """GPUs each generator actor reserves (1 on a GPU cluster with the ti2v generator)."""
    max_restarts: int = 3
    """Times Ray restarts a dead generator actor."""
    max_task_retries: int = 3
    """Times Ray resubmits an in-flight call of a dead actor to its restarted instance."""
    retries: int = 3
    """Extra explicit retries of a pool evaluation by the env after Ray's own retries fail."""
    cache: bool = True
    """Share a reward cache keyed by (context, action, seed, generator id)."""
    namespace: str = "argen"
    """Ray namespace of the named actors."""
    prefix: str = "argen-run"
    """Actor name prefix; actors are "<prefix>-gen-<i>" and "<prefix>-cache"."""


class EnvConfig(StrictModel):
    contexts: str
    """contexts.jsonl (or its folder) written by the ASI stage (argen_rl.asi.contexts)."""
    split: Literal["train", "heldout", "all"] = "train"
    """Which contexts this env samples from."""
    heldout_fraction: float = 0.2
    """Fraction of contexts (grouped by subject when known) held out (the paper's 8:2 split)."""
    split_seed: int = 0
    """Seed of the train / held-out split."""
    heldout_subjects: list[str] | None = None
    """Hold out exactly these subjects (contexts' ``subject``) instead of a seeded random
    ``heldout_fraction`` of them, e.g. the wheel faces' ``held_out`` split."""
    pool_size: int = 4
    """K: candidates per context (the policy's action + K-1 sampled ones; paper: 4)."""
    seed: int = 0
    """Base seed of context and pool sampling (offset by env-runner / vector index)."""
    actions: ActionSetsConfig = Field(default_factory=ActionSetsConfig)
    """The three action sets."""
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    """How candidates are generated."""
    reward: RewardConfig = Field(default_factory=RewardConfig)
    """How candidates are scored (argen_rl.rewards.RewardConfig: weights lam_k, S_max, lam, A_max,
    top-k k and delta). S_max defaults to the largest step in ``actions.steps`` (ARGen Eq. 14)."""
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    """Where candidates are evaluated."""

    @field_validator("reward")
    @classmethod
    def _reward_names(cls, reward: RewardConfig) -> RewardConfig:
        """A misspelt weight ('qualty') fails here, before Ray starts, not in an env runner."""
        from argen_rl.rewards import REWARDS

        unknown = sorted(set(reward.weights) - set(REWARDS))
        if unknown:
            raise ValueError(f"weights: unknown reward(s) {unknown}; expected names from: {', '.join(REWARDS)}")
        negative = sorted(n for n, w in reward.weights.items() if w < 0)
        if negative:
            raise ValueError(f"weights: must be >= 0, got negative {negative}")
        if not any(w > 0 for w in reward.weights.values()):
            raise ValueError("weights: all reward weights are 0: nothing to optimise")
        return reward

    @model_validator(mode="after")
    def _check(self) -> "EnvConfig":
        s_max = max(self.actions.steps)
        if "S_max" not in self.reward.model_fields_set:
            self.reward.S_max = s_max
        elif self.reward.S_max < s_max:
            raise ValueError(f"reward.S_max={self.reward.S_max} is below the largest step {s_max}")
        space = self.actions.space()
        if not 1 <= self.pool_size <= space.size:
            raise ValueError(f"pool_size={self.pool_size} must be in 1..{space.size}")
        if not 1 <= self.reward.k <= self.pool_size:
            raise ValueError(f"reward.k={self.reward.k} must be in 1..pool_size={self.pool_size}")
        if self.heldout_subjects is not None and not self.heldout_subjects:
            raise ValueError("heldout_subjects: give at least one subject, or leave it unset")
        if not 0 <= self.heldout_fraction < 1:
            raise ValueError(f"heldout_fraction must be in [0, 1), got {self.heldout_fraction}")
        return self
