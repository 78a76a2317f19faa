"""Top-k rule over a candidate pool (ARGen Eq. 18).

For one context the environment generates K candidates (the policy's own action plus K-1 others
from the Cartesian action set) and scores each with the composite reward sum_k lam_k r_k. The
policy's candidate is rewarded with its composite score if it ranks in the top k of the pool,
otherwise with the penalty -delta:

    R = score[policy]   if rank(policy) <= k
      = -delta          otherwise                                                 # ARGen Eq. 18

Ties: rank = 1 + (number of candidates scoring strictly higher), i.e. tied candidates share the
better rank ("1224" competition ranking), so a policy tied with the k-th best is in the top k.
A NaN score counts as the worst: a NaN policy score always gets -delta, and a NaN candidate
never outranks the policy.
"""
from __future__ import annotations

import numpy as np


def topk_rank(pool_scores: np.ndarray, policy_idx: int) -> int:
    """1-based competition rank of candidate ``policy_idx`` (ties share the better rank)."""
    s = np.asarray(pool_scores, dtype=np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"pool_scores must be a non-empty 1-D array, got shape {s.shape}")
    if not 0 <= policy_idx < s.size:
        raise ValueError(f"policy_idx {policy_idx} outside the pool of {s.size}")
    mine = s[policy_idx]
    if np.isnan(mine):
        return s.size
    return 1 + int(np.sum(np.nan_to_num(s, nan=-np.inf) > mine))


def topk_reward(pool_scores: np.ndarray, policy_idx: int, k: int, delta: float) -> float:
    """The policy candidate's reward under ARGen Eq. 18 (see the module docstring)."""
    s = np.asarray(pool_scores, dtype=np.float64)
    if not 1 <= k:
        raise ValueError(f"k must be >= 1, got {k}")
    if delta < 0:
        raise ValueError(f"delta is a penalty magnitude and must be >= 0, got {delta}")
    rank = topk_rank(s, policy_idx)
    if np.isnan(s[policy_idx]) or rank > k:
        return -float(delta)
    return float(s[policy_idx])
