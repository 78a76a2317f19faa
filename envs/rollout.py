"""Candidate evaluation on Ray actors: ``GeneratorActor`` and the shared ``RolloutPool``.

The training driver ``launch``es a few named generator actors (each holds one generator and
the reward scorers; ``num_gpus`` / ``num_cpus`` from the config) and one shared reward cache
actor. Every env (in any env runner) ``connect``s to them lazily by name, so env runners never
load a model. ``evaluate`` sends a pool's cache misses to the actors and returns every
candidate's reward dict: by default the whole pool to one actor in one call (round robin over
pools), which its generator samples as one batch; ``rollout.dispatch: spread`` splits a pool
across the actors instead. Augmentation uses the same actors for videos: ``submit(requests)``
queues one batch on the next actor (round robin) and ``collect`` returns its videos, so the
driver judges one batch while the actors generate the next (``argen_rl.augment.writer``).

Fault tolerance: actors are created with ``max_restarts`` and ``max_task_retries``, so when one
dies Ray restarts it and resubmits its in-flight calls; if a call still fails with an actor
error, ``evaluate`` retries that chunk itself (``retries`` times) before giving up. Either way a
pool is evaluated exactly once from the env's point of view: the episode is neither lost nor
counted twice.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Sequence

import ray
from ray.exceptions import ActorUnavailableError, RayActorError

from argen_rl.types import GenRequest
from envs.cache import CacheKey, RewardCache, RewardCacheActor
from envs.config import EnvConfig
from envs.scoring import make_scorer

ACTOR_ERRORS = (RayActorError, ActorUnavailableError)


@ray.remote
class GeneratorActor:
    """Holds a generator + the reward scorers; scores candidate batches."""

    def __init__(self, env_config: dict):
        self.scorer = make_scorer(EnvConfig.model_validate(env_config))
        self.candidates = self.calls = 0

    def generator_id(self) -> str:
        return self.scorer.generator_id

    def score(self, requests: Sequence[GenRequest]) -> list[dict[str, float]]:
        out = self.scorer.score(requests)          # one generate call for the whole list
        self.candidates += len(requests)
        self.calls += 1
        return out

    def generate(self, requests: Sequence[GenRequest]) -> list:
        """The videos of one batch (one generate call); no reward is computed."""
        out = self.scorer.generate(requests)
        self.candidates += len(requests)
        self.calls += 1
        return out

    def judge(self, requests: Sequence[GenRequest], thumb_size: int = 64) -> list[dict]:
        """Evaluation only: the fixed judge's measurements of each request's clip (never cached,
        never a reward)."""
        return self.scorer.judge(requests, thumb_size)

    def stats(self) -> dict:
        """Candidates scored and score calls made by this incarnation (reset on restart), its pid."""
        return {"candidates": self.candidates, "calls": self.calls, "pid": os.getpid()}


def actor_names(cfg: EnvConfig) -> tuple[list[str], str]:
    p = cfg.rollout.prefix
    return [f"{p}-gen-{i}" for i in range(cfg.rollout.num_actors)], f"{p}-cache"


def cache_id(generator_id: str, cfg: EnvConfig) -> str:
    """The generator-id part of cache keys: the generator's own id plus a digest of everything
    else that changes a candidate's video or rewards (frames, size, guidance range, reward
    config), so a resumed run with different settings never reads stale rewards."""
    import hashlib
    import json

    settings = {"generation": cfg.generation.model_dump(mode="json"),
                "reward": cfg.reward.model_dump(mode="json"), "scorer": cfg.rollout.scorer}
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    return f"{generator_id}/{digest}"


@dataclass(eq=False)       # compared by identity (its requests hold arrays)
class PendingBatch:
    """A generation batch queued on an actor (or, in process, already generated)."""

    requests: list[GenRequest]
    owner: int = 0
    ref: object = None
    videos: list | None = None


@dataclass
class PoolResult:
    rewards: list[dict[str, float]]
    """One reward dict per candidate, pool order."""
    hits: int
    """Candidates answered by the cache."""
    retries: int
    """Chunks the env had to resubmit after an actor error (Ray's own retries not counted)."""
    seconds: float
    """Wall time of the whole evaluation."""


class RolloutPool:
    """Client of the generator actors + cache (or an in-process scorer when num_actors=0)."""

    def __init__(self, cfg: EnvConfig, actors: list, cache, local_scorer=None, start: int = 0):
        self.cfg = cfg
        self.actors = actors
        self.cache = cache                    # RewardCacheActor handle, RewardCache, or None
        self.local_scorer = local_scorer
        if local_scorer is not None:
            self.generator_id = local_scorer.generator_id
        else:
            self.generator_id = ray.get(actors[0].generator_id.remote())
        self.key_id = cache_id(self.generator_id, cfg)
        self._next = start % max(1, len(actors))   # env copies start on different actors

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def launch(cls, cfg: EnvConfig) -> "RolloutPool":
        """Driver side: create (or reuse) the named actors and wait until they are ready."""
        r = cfg.rollout
        if r.num_actors == 0:
            return cls.connect(cfg)
        names, cache_name = actor_names(cfg)
        env_config = cfg.model_dump(mode="json")
        actors = [GeneratorActor.options(
            name=n, namespace=r.namespace, get_if_exists=True, num_cpus=r.num_cpus,
            num_gpus=r.num_gpus, max_restarts=r.max_restarts,
            max_task_retries=r.max_task_retries).remote(env_config) for n in names]
        cache = (RewardCacheActor.options(name=cache_name, namespace=r.namespace,
                                          get_if_exists=True).remote() if r.cache else None)
        ray.get([a.generator_id.remote() for a in actors])  # surfaces load errors here
        return cls(cfg, actors, cache)

    @classmethod
    def connect(cls, cfg: EnvConfig, start: int = 0) -> "RolloutPool":
        """Env side: look the driver's actors up by name (in-process scorer if num_actors=0);
        ``start`` = the actor this client sends its first pool to (the env copy's index)."""
        r = cfg.rollout
        if r.num_actors == 0:
            return cls(cfg, [], RewardCache() if r.cache else None, local_scorer=make_scorer(cfg))
        names, cache_name = actor_names(cfg)
        try:
            actors = [ray.get_actor(n, namespace=r.namespace) for n in names]
            cache = ray.get_actor(cache_name, namespace=r.namespace) if r.cache else None
        except ValueError as err:
            raise RuntimeError(f"generator actors {names} not found in namespace {r.namespace!r}: "
                               "the training driver must call RolloutPool.launch(cfg) first") from err
        return cls(cfg, actors, cache, start=start)

    def shutdown(self) -> None:
        """Kill the actors this pool launched (driver side)."""
        for a in self.actors + ([self.cache] if isinstance(self.cache, ray.actor.ActorHandle) else []):
            ray.kill(a, no_restart=True)

    # -- evaluation --------------------------------------------------------------------------
    def evaluate(self, requests: Sequence[GenRequest], keys: Sequence[CacheKey]) -> PoolResult:
        """Rewards for every candidate of one pool (cache first, misses on the actors)."""
        t0 = time.perf_counter()
        # 1. cache lookup
        cached = self._cache_get(keys)
        misses = [i for i, v in enumerate(cached) if v is None]
        # 2. generate + score the misses
        fresh, retries = self._score([requests[i] for i in misses])
        # 3. remember them
        self._cache_put([keys[i] for i in misses], fresh)
        rewards = list(cached)
        for i, v in zip(misses, fresh):
            rewards[i] = v
        return PoolResult(rewards, len(keys) - len(misses), retries, time.perf_counter() - t0)

    def _cache_get(self, keys):
        if self.cache is None:
            return [None] * len(keys)
        if isinstance(self.cache, RewardCache):
            return self.cache.get_many(keys)
        return ray.get(self.cache.get_many.remote(list(keys)))

    def _cache_put(self, keys, values):
        if self.cache is None or not keys:
            return
        if isinstance(self.cache, RewardCache):
            self.cache.put_many(keys, values)
        else:
            ray.get(self.cache.put_many.remote(list(keys), list(values)))

    def cache_items(self) -> list:
        if self.cache is None:
            return []
        if isinstance(self.cache, RewardCache):
            return self.cache.items()
        return ray.get(self.cache.items.remote())

    def cache_preload(self, items: list) -> None:
        """Seed the cache (e.g. from a checkpoint) without touching the hit/miss counters."""
        if items:
            self._cache_put([k for k, _ in items], [v for _, v in items])

    def cache_stats(self) -> dict[str, float]:
        if self.cache is None:
            return {}
        if isinstance(self.cache, RewardCache):
            return self.cache.stats()
        return ray.get(self.cache.stats.remote())

    # -- videos (augmentation) -----------------------------------------------------------------
    def submit(self, requests: Sequence[GenRequest]) -> PendingBatch:
        """Queue one batch on the next actor (round robin); in process it is generated now."""
        batch = PendingBatch(list(requests))
        if self.local_scorer is not None:
            batch.videos = self.local_scorer.generate(batch.requests)
            return batch
        batch.owner = self._next
        self._next = (self._next + 1) % len(self.actors)
        batch.ref = self.actors[batch.owner].generate.remote(batch.requests)
        return batch

    def collect(self, batch: PendingBatch) -> list:
        """The batch's videos (waits for them); an actor lost for good is replaced by the next
        one, up to ``rollout.retries`` times."""
        retries = 0
        while batch.videos is None:
            try:
                batch.videos = ray.get(batch.ref)
            except ACTOR_ERRORS:
                retries += 1
                if retries > self.cfg.rollout.retries:
                    raise
                time.sleep(0.5 * retries)   # let Ray restart the actor
                batch.owner = (batch.owner + 1) % len(self.actors)
                batch.ref = self.actors[batch.owner].generate.remote(batch.requests)
        return batch.videos

    def judge(self, requests: Sequence[GenRequest], thumb_size: int = 64) -> list[dict]:
        """Fixed-judge measurements of each request's clip, spread over the actors (evaluation
        only: no cache, nothing reaches a reward)."""
        requests = list(requests)
        if not requests:
            return []
        if self.local_scorer is not None:
            return self.local_scorer.judge(requests, thumb_size)
        return self._dispatch("judge", requests, min(len(self.actors), len(requests)), thumb_size)[0]

    def _score(self, requests: list[GenRequest]) -> tuple[list[dict[str, float]], int]:
        if not requests:
            return [], 0
        if self.local_scorer is not None:
            return self.local_scorer.score(requests), 0
        # "pool": the whole pool to one actor (one batched generate call); "spread": split it.
        n = 1 if self.cfg.rollout.dispatch == "pool" else min(len(self.actors), len(requests))
        return self._dispatch("score", requests, n)

    def _dispatch(self, method: str, requests: list[GenRequest], n: int, *args) -> tuple[list, int]:
        """``actor.<method>(chunk, *args)`` on ``n`` chunks of ``requests``, round robin starting
        where the last call stopped (so load spreads across pools); a chunk whose actor died is
        resent to the next actor once Ray has restarted it. (results in request order, retries)."""
        chunks = [list(range(len(requests)))[j::n] for j in range(n)]
        owners = [(self._next + j) % len(self.actors) for j in range(n)]
        self._next = (self._next + n) % len(self.actors)

        def send(j: int):
            return getattr(self.actors[owners[j]], method).remote([requests[i] for i in chunks[j]], *args)

        results: list = [None] * len(requests)
        pending = {j: send(j) for j in range(n)}
        retries = 0
        while pending:
            j, ref = next(iter(pending.items()))
            try:
                for i, v in zip(chunks[j], ray.get(ref)):
                    results[i] = v
                del pending[j]
            except ACTOR_ERRORS:
                retries += 1
                if retries > self.cfg.rollout.retries * n:
                    raise
                time.sleep(0.5 * retries)   # let Ray restart the actor
                owners[j] = (owners[j] + 1) % len(self.actors)
                pending[j] = send(j)
        return results, retries
