"""Held-out evaluation: the greedy policy vs a uniform-random policy vs a fixed mid-range action.

Every policy is judged by the mean composite reward (sum_k lam_k r_k, ARGen Eq. 18 without the
top-k rule) of the action it picks, on contexts never trained on. The random baseline scores
``random_actions`` uniformly drawn actions per context (all of them when 0: the exact
expectation). Scores go through the same generator actors and reward cache as training.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from argen_rl.policy.greedy import GreedyPolicy
from envs.bandit_env import ArgenBanditEnv, context_seed, observation
from envs.scoring import COMPOSITE


@dataclass
class EvalResult:
    greedy: float
    """Mean composite reward of the greedy policy's actions."""
    random: float
    """Mean composite reward of uniform-random actions."""
    mid: float
    """Mean composite reward of the fixed mid-range action."""
    best: float
    """Mean over contexts of the best action among those scored (an upper reference)."""
    n_contexts: int
    components: dict[str, dict[str, float]] = field(default_factory=dict)
    """policy name -> reward component -> mean."""
    greedy_actions: list[list[int]] = field(default_factory=list)
    """The greedy index triple chosen for each context."""
    head_probs: list[list[float]] = field(default_factory=list)
    """Mean per-head action probabilities of the learned policy over the contexts."""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def evaluate_policy(policy: GreedyPolicy, env: ArgenBanditEnv, random_actions: int = 8,
                    seed: int = 0) -> EvalResult:
    space = env.space
    rng = np.random.default_rng(seed)
    table = space.all_actions()
    mid = space.mid_action()
    per: dict[str, list[dict[str, float]]] = {"greedy": [], "random": [], "mid": []}
    best, chosen, probs = [], [], []
    for ctx in env.contexts:
        obs = observation(ctx)
        g = policy.act_indices(obs)
        chosen.append(g.tolist())
        probs.append([p.tolist() for p in policy.probs(obs)])
        n_rand = space.size if random_actions <= 0 else min(random_actions, space.size)
        rand = table[rng.choice(space.size, size=n_rand, replace=False)]
        actions = np.unique(np.concatenate([g[None], mid[None], rand]), axis=0)
        row_of = {tuple(a): i for i, a in enumerate(actions)}
        seeds = [context_seed(ctx) + j for j in range(env.cfg.generation.seeds_per_context)]
        # mean over generation seeds of each action's reward dict
        rewards = [env.evaluate_pool(ctx, actions, s).rewards for s in seeds]
        mean = [{k: float(np.mean([r[i][k] for r in rewards])) for k in rewards[0][i]}
                for i in range(len(actions))]
        per["greedy"].append(mean[row_of[tuple(g)]])
        per["mid"].append(mean[row_of[tuple(mid)]])
        per["random"].append(_mean_dicts([mean[row_of[tuple(a)]] for a in rand]))
        best.append(max(m[COMPOSITE] for m in mean))
    comps = {name: _mean_dicts(rows) for name, rows in per.items()}
    head_probs = [np.mean([p[h] for p in probs], axis=0).tolist() for h in range(3)]
    return EvalResult(greedy=comps["greedy"][COMPOSITE], random=comps["random"][COMPOSITE],
                      mid=comps["mid"][COMPOSITE], best=float(np.mean(best)),
                      n_contexts=len(env.contexts), components=comps, greedy_actions=chosen,
                      head_probs=head_probs)


def _mean_dicts(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = [k for k in rows[0] if k.startswith("reward/")]
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}
