"""Reward cache: a candidate already generated and scored costs nothing the second time.

Key = (context id, action indices, generation seed, generator id) — everything that determines
the video, so a hit returns exactly the rewards a fresh generation would give (generators are
deterministic given their seed). Values are the candidate's reward dict (composite + every
component). ``RewardCacheActor`` shares one cache between all env runners of a run; training
checkpoints store it (``save_cache`` / ``load_cache``) so a resumed run does not regenerate.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Hashable, Sequence

import ray

CacheKey = tuple[str, tuple[int, int, int], int, str]


def cache_key(context_id: str, action: Sequence[int], seed: int, generator_id: str) -> CacheKey:
    """The canonical key (plain ints/strings, so it hashes the same in every process)."""
    a = tuple(int(x) for x in action)
    if len(a) != 3:
        raise ValueError(f"an action is 3 indices, got {a}")
    return (str(context_id), a, int(seed), str(generator_id))  # type: ignore[return-value]


class RewardCache:
    """In-process LRU mapping CacheKey -> reward dict, with hit/miss counters."""

    def __init__(self, max_entries: int = 100_000):
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, dict[str, float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Sequence[CacheKey]) -> list[dict[str, float] | None]:
        out: list[dict[str, float] | None] = []
        for k in keys:
            v = self._data.get(k)
            if v is None:
                self.misses += 1
            else:
                self.hits += 1
                self._data.move_to_end(k)
            out.append(v)
        return out

    def put_many(self, keys: Sequence[CacheKey], values: Sequence[dict[str, float]]) -> None:
        if len(keys) != len(values):
            raise ValueError(f"{len(keys)} keys but {len(values)} values")
        for k, v in zip(keys, values):
            self._data[k] = dict(v)
            self._data.move_to_end(k)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def items(self) -> list[tuple[CacheKey, dict[str, float]]]:
        """Every (key, value), oldest first (what a checkpoint stores)."""
        return list(self._data.items())  # type: ignore[arg-type]

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        self._data.clear()
        self.hits = self.misses = 0

    def stats(self) -> dict[str, float]:
        total = self.hits + self.misses
        return {"cache/hits": self.hits, "cache/misses": self.misses, "cache/size": len(self._data),
                "cache/hit_rate": self.hits / total if total else 0.0}

    def __len__(self) -> int:
        return len(self._data)


@ray.remote(num_cpus=0)
class RewardCacheActor:
    """One shared RewardCache for every env runner of a run (a named actor, no CPU reserved)."""

    def __init__(self, max_entries: int = 100_000):
        self.cache = RewardCache(max_entries)

    def get_many(self, keys):
        return self.cache.get_many(keys)

    def put_many(self, keys, values):
        self.cache.put_many(keys, values)

    def stats(self):
        return self.cache.stats()

    def clear(self):
        self.cache.clear()

    def items(self):
        return self.cache.items()


def save_cache(path: str | Path, items: list[tuple[CacheKey, dict[str, float]]]) -> Path:
    """Write cache entries as JSON lines (atomically): a resumed run starts with them."""
    from argen_rl.io_utils import atomic_write_text

    rows = ({"context": k[0], "action": list(k[1]), "seed": k[2], "generator": k[3], "rewards": v}
            for k, v in items)
    return atomic_write_text(Path(path), "".join(json.dumps(r) + "\n" for r in rows))


def load_cache(path: str | Path) -> list[tuple[CacheKey, dict[str, float]]]:
    out = []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            out.append((cache_key(r["context"], r["action"], r["seed"], r["generator"]), r["rewards"]))
    return out
