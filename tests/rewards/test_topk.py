"""Top-k rule (ARGen Eq. 18): pure function over a pool of composite scores."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.rewards import topk_rank, topk_reward


def test_policy_in_top_k_gets_its_score_else_penalty():
    pool = np.array([0.9, 0.2, 0.5, 0.7])
    assert topk_reward(pool, 0, k=1, delta=0.3) == 0.9
    assert topk_reward(pool, 3, k=2, delta=0.3) == 0.7
    assert topk_reward(pool, 2, k=2, delta=0.3) == -0.3
    assert topk_reward(pool, 1, k=4, delta=0.3) == 0.2   # k = K: everyone is rewarded


def test_ties_share_the_better_rank():
    pool = np.array([0.8, 0.5, 0.8, 0.5])
    assert [topk_rank(pool, i) for i in range(4)] == [1, 3, 1, 3]
    assert topk_reward(pool, 2, k=1, delta=1.0) == 0.8      # tied for first: in the top 1
    assert topk_reward(pool, 3, k=3, delta=1.0) == 0.5      # rank 3 (two strictly better)
    assert topk_reward(pool, 3, k=2, delta=1.0) == -1.0


def test_nan_scores_count_as_worst():
    pool = np.array([np.nan, 0.1, 0.4])
    assert topk_rank(pool, 1) == 2
    assert topk_reward(pool, 1, k=2, delta=0.5) == 0.1      # the NaN does not outrank it
    assert topk_reward(pool, 0, k=3, delta=0.5) == -0.5     # a NaN policy score is penalised


def test_invalid_arguments_fail_clearly():
    with pytest.raises(ValueError, match="outside the pool"):
        topk_reward(np.array([0.1, 0.2]), 2, k=1, delta=0.1)
    with pytest.raises(ValueError, match="k must be"):
        topk_reward(np.array([0.1]), 0, k=0, delta=0.1)
    with pytest.raises(ValueError, match="non-empty"):
        topk_reward(np.array([]), 0, k=1, delta=0.1)
    with pytest.raises(ValueError, match="penalty magnitude"):
        topk_reward(np.array([0.1]), 0, k=1, delta=-1)
