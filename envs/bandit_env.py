"""ARD as a Gymnasium contextual bandit (ARGen §3.3, Eq. 13 and 18).

One episode = one context (identity image + target emotion + prompt, seen through its fused
text/image embedding) and one decision: the action (S, a, b). ``step`` builds the Eq. 18
candidate pool around the policy's action, has it generated and scored on the generator actors
(``envs.rollout.RolloutPool``), ranks it, and pays the policy's candidate by the top-k rule.
The episode then ends (``terminated=True``): there is no next state, which is what makes this a
contextual bandit and lets PPO with gamma = lambda = 1 act as a policy-gradient estimator with a
learned baseline (see experiments/train_policy.py).

Registered as ``ArgenBandit-v0`` with Gymnasium and ``"ArgenBandit-v0"`` with RLlib's registry.
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from argen_rl.policy.actions import decode_action, sample_pool
from argen_rl.policy.state import state_vector
from argen_rl.rewards import topk_rank, topk_reward
from argen_rl.types import Context, GenRequest
from envs.cache import cache_key
from envs.config import EnvConfig
from envs.scoring import COMPOSITE, RECORDED

ENV_ID = "ArgenBandit-v0"


# -- contexts --------------------------------------------------------------------------------
def load_env_contexts(path: str | Path) -> list[Context]:
    """Contexts with both embeddings filled (ASI's contexts.jsonl + .npy files)."""
    from argen_rl.asi.contexts import load_contexts

    contexts = load_contexts(Path(path))
    if not contexts:
        raise ValueError(f"{path}: no contexts")
    missing = [c.context_id for c in contexts if c.text_emb is None or c.image_emb is None]
    if missing:
        raise ValueError(f"{path}: contexts without text/image embeddings: {missing[:5]}")
    return contexts


def split_contexts(contexts: list[Context], heldout_fraction: float, seed: int,
                   heldout_subjects: list[str] | None = None) -> tuple[list[Context], list[Context]]:
    """Seeded train / held-out split, grouped by subject when every context names one (so a
    held-out identity is never seen in training); by context otherwise. At least one context
    stays on each side when there are two or more groups. ``heldout_subjects``: hold out
    exactly these subjects instead (every one must occur, and something must stay to train on)."""
    if heldout_subjects is not None:
        known = {c.subject for c in contexts}
        missing = sorted(set(heldout_subjects) - known)
        if missing:
            raise ValueError(f"heldout_subjects {missing} are not subjects of the contexts; known: {sorted(map(str, known))}")
        held_out = set(heldout_subjects)
        held = [c for c in contexts if c.subject in held_out]
        train = [c for c in contexts if c.subject not in held_out]
        if not train:
            raise ValueError("heldout_subjects holds out every context: nothing left to train on")
        return train, held
    if heldout_fraction <= 0:
        return list(contexts), []
    by_subject = all(c.subject for c in contexts) and len({c.subject for c in contexts}) >= 2
    groups = sorted({(c.subject if by_subject else c.context_id) for c in contexts})
    order = np.random.default_rng(seed).permutation(len(groups))
    n_held = min(max(1, round(heldout_fraction * len(groups))), len(groups) - 1) if len(groups) > 1 else 0
    held = {groups[i] for i in order[:n_held]}
    key = (lambda c: c.subject) if by_subject else (lambda c: c.context_id)
    return [c for c in contexts if key(c) not in held], [c for c in contexts if key(c) in held]


def observation(ctx: Context) -> np.ndarray:
    """The state s of ARGen Eq. 13 for a context (argen_rl.policy.state)."""
    return state_vector(ctx.text_emb, ctx.image_emb)


def context_seed(ctx: Context) -> int:
    """A stable per-context generation seed (crc32 of the id: same in every process)."""
    return zlib.crc32(ctx.context_id.encode()) & 0x7FFFFFFF


class ArgenBanditEnv(gym.Env):
    """Contextual bandit over generation parameters; see the module docstring."""

    metadata = {"render_modes": []}

    def __init__(self, config: dict[str, Any] | None = None):
        self.cfg = EnvConfig.model_validate(dict(config or {}))
        train, held = split_contexts(load_env_contexts(self.cfg.contexts), self.cfg.heldout_fraction,
                                     self.cfg.split_seed, self.cfg.heldout_subjects)
        self.contexts = {"train": train, "heldout": held, "all": train + held}[self.cfg.split]
        if not self.contexts:
            raise ValueError(f"{self.cfg.contexts}: the {self.cfg.split!r} split is empty")
        self.space = self.cfg.actions.space()
        dim = observation(self.contexts[0]).shape[0]
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (dim,), np.float32)
        self.action_space = self.space.gym_space()
        # RLlib passes an EnvContext (a dict with worker_index / vector_index): give every
        # env copy its own stream so runners do not sample identical contexts and pools.
        offset = 1000 * int(getattr(config, "worker_index", 0)) + int(getattr(config, "vector_index", 0))
        self._rng = np.random.default_rng(self.cfg.seed + offset)
        # first actor this copy sends a pool to (97: a prime, so runners x vector copies spread)
        self._start = 97 * int(getattr(config, "worker_index", 0)) + int(getattr(config, "vector_index", 0))
        self._pool = None            # RolloutPool, connected on first step
        self._images: dict[str, np.ndarray] = {}
        self._ctx: Context | None = None

    # -- gym API -------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        i = (options or {}).get("context_index")
        i = int(self._rng.integers(len(self.contexts))) if i is None else int(i)
        self._ctx = self.contexts[i]
        return observation(self._ctx), {"context_id": self._ctx.context_id}

    def step(self, action):
        if self._ctx is None:
            raise RuntimeError("call reset() before step()")
        ctx = self._ctx
        # 1. decode the policy's action (ARGen Eq. 13)
        own = np.asarray(action, dtype=np.int64).reshape(3)
        steps, a, b = decode_action(own, self.space)
        # 2. candidate pool: the policy's action + K-1 others from the Cartesian set (Eq. 18)
        pool = sample_pool(own, self.space, self.cfg.pool_size, self._rng)
        seed = context_seed(ctx) + int(self._rng.integers(self.cfg.generation.seeds_per_context))
        # 3. evaluate the pool on the generator actors (cached candidates cost nothing)
        result = self.evaluate_pool(ctx, pool, seed)
        composite = np.array([r[COMPOSITE] for r in result.rewards])
        # 4. rank, 5. reward the policy's candidate (index 0) by the top-k rule (Eq. 18)
        rank = topk_rank(composite, 0)
        reward = topk_reward(composite, 0, self.cfg.reward.k, self.cfg.reward.delta)
        # 6. info: every component of the policy's candidate + pool / cache / timing stats
        info = {k: v for k, v in result.rewards[0].items() if k.startswith(RECORDED)}
        info.update({
            "reward/topk": reward, "pool/rank": rank, "pool/in_topk": float(rank <= self.cfg.reward.k),
            "pool/best_composite": float(composite.max()), "pool/mean_composite": float(composite.mean()),
            "action/steps": steps, "action/a": a, "action/b": b,
            "cache/hits": result.hits, "cache/hit_rate": result.hits / len(pool),
            "time/generate_s": result.seconds, "rollout/retries": result.retries,
            "context_id": ctx.context_id, "seed": seed,
        })
        self._ctx = None
        return observation(ctx), float(reward), True, False, info

    # -- evaluation helpers (also used by the held-out evaluation) ------------------------------
    def evaluate_pool(self, ctx: Context, actions: np.ndarray, seed: int):
        """Rewards of each action (rows of index triples) for one context and seed."""
        if self._pool is None:
            from envs.rollout import RolloutPool

            self._pool = RolloutPool.connect(self.cfg, start=self._start)
        requests = [self.request(ctx, act, seed) for act in actions]
        keys = [cache_key(ctx.context_id, act, seed, self._pool.key_id) for act in actions]
        return self._pool.evaluate(requests, keys)

    def judge_pool(self, ctx: Context, actions: np.ndarray, seed: int, thumb_size: int = 64,
                   generation=None) -> list[dict]:
        """The fixed judge's measurements of each action's clip (evaluation only: never a reward);
        ``generation``: another ``GenerationConfig`` for the judged clips (e.g. a larger size)."""
        if self._pool is None:
            from envs.rollout import RolloutPool

            self._pool = RolloutPool.connect(self.cfg, start=self._start)
        return self._pool.judge([self.request(ctx, act, seed, generation) for act in actions], thumb_size)

    def request(self, ctx: Context, action, seed: int, generation=None) -> GenRequest:
        """The generation request for one candidate (GenParams from the decoded action)."""
        steps, a, b = decode_action(action, self.space)
        return (generation or self.cfg.generation).request(ctx, self._image(ctx), steps, a, b, seed)

    def _image(self, ctx: Context) -> np.ndarray:
        key = str(ctx.identity_image)
        if key not in self._images:
            from argen_rl.video_io import read_image

            self._images[key] = read_image(ctx.identity_image)
        return self._images[key]


def register() -> None:
    """Register the env with Gymnasium (``gym.make("ArgenBandit-v0", config=...)``) and RLlib."""
    from ray.tune.registry import register_env

    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point="envs.bandit_env:ArgenBanditEnv",
                     disable_env_checker=True)
    register_env(ENV_ID, lambda cfg: ArgenBanditEnv(cfg))


register()
