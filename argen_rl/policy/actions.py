"""The policy's action space: three discrete sets (steps S, curve shape a, curve shape b).

ARGen Eq. 13 factorises the policy over three discrete sets; an action is one index per set
(a gymnasium ``MultiDiscrete([|S|, |a|, |b|])`` sample). The paper's exact sets did not survive
in our copy of the text, so the defaults below are our choice (documented in docs/training.md):
a few keyframe/step counts, and curve shapes that put the expression peak early (a < b),
centred (a = b) or late (a > b), with a = b = 1 giving constant guidance.

Everything here is pure (no Ray, no torch): ``decode_action`` is what the env, the greedy
policy and the evaluation all use to turn indices into ``GenParams`` fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Sequence

import numpy as np

DEFAULT_STEPS: tuple[int, ...] = (4, 8, 12, 16)
DEFAULT_A: tuple[float, ...] = (1.0, 2.0, 4.0)
DEFAULT_B: tuple[float, ...] = (1.0, 2.0, 4.0)


@dataclass(frozen=True)
class ActionSpace:
    """The three action sets of ARGen Eq. 13: S (steps), a and b (Eq. 12 curve shapes)."""

    steps: tuple[int, ...] = DEFAULT_STEPS
    a: tuple[float, ...] = DEFAULT_A
    b: tuple[float, ...] = DEFAULT_B

    def __post_init__(self) -> None:
        for name in ("steps", "a", "b"):
            values = tuple(getattr(self, name))
            if not values:
                raise ValueError(f"action set {name!r} is empty")
            if len(set(values)) != len(values):
                raise ValueError(f"action set {name!r} has duplicates: {values}")
            object.__setattr__(self, name, values)
        if min(self.steps) < 1 or any(int(s) != s for s in self.steps):
            raise ValueError(f"steps must be positive integers, got {self.steps}")
        if min(self.a) <= 0 or min(self.b) <= 0:
            raise ValueError(f"curve shapes a, b must be > 0, got a={self.a}, b={self.b}")

    @property
    def nvec(self) -> tuple[int, int, int]:
        """Sizes of the three sets, in head order (S, a, b)."""
        return (len(self.steps), len(self.a), len(self.b))

    @property
    def size(self) -> int:
        """Number of joint actions in the Cartesian set."""
        n_s, n_a, n_b = self.nvec
        return n_s * n_a * n_b

    @property
    def s_max(self) -> int:
        """Largest step count: S_max of ARGen Eq. 14."""
        return int(max(self.steps))

    def gym_space(self):
        """The gymnasium space the env exposes: MultiDiscrete([|S|, |a|, |b|])."""
        from gymnasium.spaces import MultiDiscrete

        return MultiDiscrete(np.array(self.nvec, dtype=np.int64))

    def all_actions(self) -> np.ndarray:
        """Every joint action as index triples, (size, 3) int64, in flat-index order."""
        return np.array(list(product(*(range(n) for n in self.nvec))), dtype=np.int64)

    def flat_index(self, action: Sequence[int]) -> int:
        """Index triple -> position in ``all_actions()`` (row-major over S, a, b)."""
        i, j, k = _check_indices(action, self.nvec)
        _, n_a, n_b = self.nvec
        return (i * n_a + j) * n_b + k

    def mid_action(self) -> np.ndarray:
        """The fixed "mid-range" baseline action: the middle element of each set."""
        return np.array([(n - 1) // 2 for n in self.nvec], dtype=np.int64)


def _check_indices(action: Sequence[int], nvec: Sequence[int]) -> tuple[int, int, int]:
    arr = np.asarray(action).reshape(-1)
    if arr.shape != (3,):
        raise ValueError(f"an action is 3 indices (S, a, b), got shape {np.shape(action)}")
    if not np.all(np.equal(np.mod(arr, 1), 0)):
        raise ValueError(f"action indices must be integers, got {arr.tolist()}")
    idx = tuple(int(x) for x in arr)
    for name, i, n in zip(("S", "a", "b"), idx, nvec):
        if not 0 <= i < n:
            raise ValueError(f"action index for {name} is {i}, outside 0..{n - 1}")
    return idx  # type: ignore[return-value]


def decode_action(action: Sequence[int], space: ActionSpace = ActionSpace()) -> tuple[int, float, float]:
    """MultiDiscrete indices (i_S, i_a, i_b) -> (steps, a, b) values (ARGen Eq. 13 heads)."""
    i, j, k = _check_indices(action, space.nvec)
    return int(space.steps[i]), float(space.a[j]), float(space.b[k])


def sample_pool(policy_action: Sequence[int], space: ActionSpace, k: int,
                rng: np.random.Generator) -> np.ndarray:
    """The candidate pool of ARGen Eq. 18: the policy's action first, then K-1 distinct others
    drawn uniformly without replacement from the rest of the Cartesian set. (K, 3) int64."""
    if not 1 <= k <= space.size:
        raise ValueError(f"pool size K={k} must be in 1..{space.size} (the Cartesian set size)")
    own = space.flat_index(policy_action)
    others = np.delete(np.arange(space.size), own)
    picked = rng.choice(others, size=k - 1, replace=False) if k > 1 else np.empty(0, np.int64)
    table = space.all_actions()
    return np.concatenate([table[[own]], table[picked]], axis=0)
