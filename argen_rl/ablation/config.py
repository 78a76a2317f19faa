"""Typed configuration of a reward ablation (one YAML file; one docstring per field)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from argen_rl.config import StrictModel
from argen_rl.rewards.composite import DEFAULT_WEIGHTS, REWARDS
from argen_rl.train.config import TrainConfig


class AblationRow(StrictModel):
    """One row of the ablation table = one Tune trial."""

    name: str
    """Row label in the table and plot (e.g. "T+F+Q"); also names the trial's run folder."""
    kind: Literal["train", "random", "fixed"] = "train"
    """"train": train the policy with ``weights`` then evaluate its greedy actions; "random": a
    uniform-random policy; "fixed": always ``fixed_action`` (no training for either)."""
    weights: dict[str, float] = Field(default_factory=dict)
    """Training reward weights lam_k (ARGen Eq. 18) of a "train" row; absent components are 0."""

    @model_validator(mode="after")
    def _check(self) -> "AblationRow":
        unknown = sorted(set(self.weights) - set(REWARDS))
        if unknown:
            raise ValueError(f"row {self.name!r}: unknown reward(s) {unknown}; expected {sorted(REWARDS)}")
        if self.kind == "train" and not any(w > 0 for w in self.weights.values()):
            raise ValueError(f"row {self.name!r}: a train row needs at least one positive weight")
        if not self.name or "/" in self.name:
            raise ValueError(f"row name {self.name!r} must be non-empty and contain no '/'")
        return self


class FixedAction(StrictModel):
    steps: int = 8
    """S of the fixed-action baseline (must be in train.env.actions.steps)."""
    a: float = 2.0
    """Eq. 12 curve shape a of the fixed action (must be in train.env.actions.a)."""
    b: float = 2.0
    """Eq. 12 curve shape b of the fixed action (must be in train.env.actions.b)."""


class AblationConfig(StrictModel):
    train: TrainConfig
    """The base training run every "train" row starts from (env, PPO, iterations, ...); a row
    only replaces ``env.reward.weights``, ``run_dir`` and the actor name prefix."""
    rows: list[AblationRow]
    """The table rows, one Tune trial each (grid search over them)."""
    eval_weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """The fixed evaluation reward, reported beside the fixed judge for reference (every row is
    RANKED by the judge, argen_rl.metrics.fixed_judge, which no row trains on)."""
    eval_split: Literal["heldout", "train", "all"] = "heldout"
    """Contexts the rows are evaluated on (held-out identities by default)."""
    random_actions: int = 0
    """Actions scored per context for the random row (0 = the whole Cartesian set: exact mean)."""
    fixed_action: FixedAction = Field(default_factory=FixedAction)
    """The action of the "fixed" row."""
    storage_path: str = "runs/ablation"
    """Tune's storage folder; the experiment lives in <storage_path>/<name>/."""
    name: str = "reward_ablation"
    """Experiment name (rerunning with the same name resumes it via Tuner.restore)."""
    max_concurrent_trials: int = 2
    """Trials at once (each reserves ``cpus_per_trial`` CPUs)."""
    cpus_per_trial: float = 1.0
    """CPUs Tune reserves per trial (RLlib's driver-side sampling and learner run in it)."""
    out_dir: str | None = None
    """Where ablation.csv / ablation.md / ablation.png / summary.json go (default: the experiment folder)."""

    @model_validator(mode="after")
    def _check(self) -> "AblationConfig":
        names = [r.name for r in self.rows]
        if len(set(names)) != len(names):
            raise ValueError(f"row names must be unique, got {names}")
        if not self.rows:
            raise ValueError("rows: at least one row")
        unknown = sorted(set(self.eval_weights) - set(REWARDS))
        if unknown:
            raise ValueError(f"eval_weights: unknown reward(s) {unknown}; expected {sorted(REWARDS)}")
        if not any(w > 0 for w in self.eval_weights.values()):
            raise ValueError("eval_weights: at least one positive weight")
        acts, fa = self.train.env.actions, self.fixed_action
        for field, value, allowed in (("steps", fa.steps, acts.steps), ("a", fa.a, acts.a), ("b", fa.b, acts.b)):
            if value not in allowed:
                raise ValueError(f"fixed_action.{field}={value} is not in train.env.actions.{field}={allowed}")
        return self

    def fixed_indices(self) -> list[int]:
        acts, fa = self.train.env.actions, self.fixed_action
        return [acts.steps.index(fa.steps), acts.a.index(fa.a), acts.b.index(fa.b)]
