"""The action space and its pure decode / pool-sampling functions."""
from __future__ import annotations

import numpy as np
import pytest

from argen_rl.policy.actions import ActionSpace, decode_action, sample_pool

SPACE = ActionSpace(steps=(4, 8, 12, 16), a=(1.0, 2.0, 4.0), b=(1.0, 2.0, 4.0))


def test_decode_maps_indices_to_values():
    assert decode_action([0, 0, 0], SPACE) == (4, 1.0, 1.0)
    assert decode_action(np.array([3, 2, 1]), SPACE) == (16, 4.0, 2.0)
    steps, a, b = decode_action([1, 1, 2], SPACE)
    assert (type(steps), type(a), type(b)) == (int, float, float)


@pytest.mark.parametrize("bad", [[4, 0, 0], [0, -1, 0], [0, 0, 3], [0, 0], [0.5, 0, 0]])
def test_decode_rejects_out_of_range_or_malformed(bad):
    with pytest.raises(ValueError):
        decode_action(bad, SPACE)


def test_space_shape_and_enumeration():
    assert SPACE.nvec == (4, 3, 3) and SPACE.size == 36 and SPACE.s_max == 16
    table = SPACE.all_actions()
    assert table.shape == (36, 3)
    assert [SPACE.flat_index(r) for r in table] == list(range(36))
    gym_space = SPACE.gym_space()
    assert list(gym_space.nvec) == [4, 3, 3]
    assert all(gym_space.contains(r) for r in table)
    assert decode_action(SPACE.mid_action(), SPACE) == (8, 2.0, 2.0)


@pytest.mark.parametrize("kwargs", [dict(steps=()), dict(steps=(4, 4)), dict(a=(0.0, 1.0)),
                                    dict(steps=(0, 2))])
def test_space_validation(kwargs):
    with pytest.raises(ValueError):
        ActionSpace(**kwargs)


def test_pool_has_policy_action_first_and_distinct_others():
    rng = np.random.default_rng(0)
    for own in SPACE.all_actions():
        pool = sample_pool(own, SPACE, 4, rng)
        assert pool.shape == (4, 3)
        assert (pool[0] == own).all()
        assert len({tuple(r) for r in pool}) == 4


def test_pool_sampling_is_seeded_and_uniform_over_others():
    own = np.array([1, 1, 1])
    a = sample_pool(own, SPACE, 4, np.random.default_rng(7))
    b = sample_pool(own, SPACE, 4, np.random.default_rng(7))
    assert (a == b).all()
    rng = np.random.default_rng(1)
    counts = np.zeros(SPACE.size)
    for _ in range(3000):
        for r in sample_pool(own, SPACE, 4, rng)[1:]:
            counts[SPACE.flat_index(r)] += 1
    assert counts[SPACE.flat_index(own)] == 0
    others = np.delete(counts, SPACE.flat_index(own))
    assert others.min() > 0.7 * others.mean() and others.max() < 1.3 * others.mean()
    with pytest.raises(ValueError):
        sample_pool(own, SPACE, 37, rng)
