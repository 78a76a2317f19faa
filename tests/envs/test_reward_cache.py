"""The reward cache: keys, hits/misses, LRU eviction."""
from __future__ import annotations

import numpy as np
import pytest

from envs.cache import RewardCache, cache_key


def test_key_is_canonical_across_types():
    assert cache_key("c1", np.array([1, 2, 0]), np.int64(5), "warp-abc") == ("c1", (1, 2, 0), 5, "warp-abc")
    assert hash(cache_key("c1", [1, 2, 0], 5, "g")) == hash(cache_key("c1", (1, 2, 0), 5, "g"))
    with pytest.raises(ValueError):
        cache_key("c1", [1, 2], 5, "g")


def test_hits_misses_and_values():
    c = RewardCache()
    k1, k2 = cache_key("c", [0, 0, 0], 0, "g"), cache_key("c", [0, 0, 1], 0, "g")
    assert c.get_many([k1, k2]) == [None, None]
    c.put_many([k1], [{"reward/composite": 0.5}])
    assert c.get_many([k1, k2]) == [{"reward/composite": 0.5}, None]
    # a different seed or generator is a different video: no hit
    assert c.get_many([cache_key("c", [0, 0, 0], 1, "g"), cache_key("c", [0, 0, 0], 0, "h")]) == [None, None]
    s = c.stats()
    assert (s["cache/hits"], s["cache/misses"], s["cache/size"]) == (1, 5, 1)
    assert s["cache/hit_rate"] == pytest.approx(1 / 6)


def test_lru_eviction_keeps_recently_used():
    c = RewardCache(max_entries=2)
    keys = [cache_key("c", [i, 0, 0], 0, "g") for i in range(3)]
    c.put_many(keys[:2], [{"v": 0}, {"v": 1}])
    c.get_many([keys[0]])                       # keys[0] now most recent
    c.put_many([keys[2]], [{"v": 2}])           # evicts keys[1]
    assert len(c) == 2
    assert c.get_many(keys) == [{"v": 0}, None, {"v": 2}]
    with pytest.raises(ValueError):
        c.put_many(keys, [{"v": 0}])


def test_save_and_load_round_trip(tmp_path):
    from envs.cache import load_cache, save_cache

    c = RewardCache()
    keys = [cache_key("ctx-a", [1, 2, 0], 7, "warp-x/abc"), cache_key("ctx-b", [0, 0, 1], 8, "warp-x/abc")]
    c.put_many(keys, [{"reward/composite": 0.25, "reward/steps": 0.5}, {"reward/composite": 0.75}])
    path = save_cache(tmp_path / "cache.jsonl", c.items())
    restored = RewardCache()
    restored.put_many(*zip(*load_cache(path)))
    assert restored.get_many(keys) == c.get_many(keys)


def test_cache_id_changes_with_anything_that_changes_the_video_or_reward():
    from envs.config import EnvConfig
    from envs.rollout import cache_id

    base = EnvConfig(contexts="x")
    same = cache_id("warp-1", base)
    assert cache_id("warp-1", EnvConfig(contexts="other", pool_size=3)) == same
    assert cache_id("warp-2", base) != same
    assert cache_id("warp-1", EnvConfig(contexts="x", generation={"size": 256})) != same
    assert cache_id("warp-1", EnvConfig(contexts="x", reward={"weights": {"steps": 1.0}})) != same
