"""Held-out evaluation: the greedy policy vs uniform-random vs a fixed mid-range action vs the
per-context oracle, all scored by the SAME fixed judge.

The judge (``argen_rl.metrics.fixed_judge``) is what no policy trains on: the held-out
classifier's read of the target emotion at the clip's apex (the read rate, the headline; its
continuous form ``judge/p_apex`` ranks), the share of the clip it reads as the target,
naturalness on the face-mesh trajectory, identity distances, diversity and FVD (when its weights
exist). The oracle takes, per context, the action with the highest ``judge/p_apex``: the upper
reference of what any action choice can reach.

For reference every policy is also scored by the env's own composite reward (sum_k lam_k r_k,
ARGen Eq. 18 without the top-k rule): that is the training objective, so a policy beating the
baselines on it shows only that training optimised it. Scores go through the same generator
actors as training (rewards via the reward cache; judge measurements are never cached or
rewarded). ``random_actions`` uniformly drawn actions per context make the random baseline (all
of them when 0: the exact expectation); with ``oracle`` every action of every context is judged.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from argen_rl.metrics.fixed_judge import JUDGE_KEYS
from envs.bandit_env import ArgenBanditEnv, context_seed, observation
from envs.scoring import COMPOSITE

POLICIES = ("greedy", "random", "mid", "oracle")
HEADLINE = "judge/p_apex"


@dataclass
class EvalResult:
    greedy: float
    """Mean composite (training) reward of the greedy policy's actions."""
    random: float
    """Mean composite reward of uniform-random actions."""
    mid: float
    """Mean composite reward of the fixed mid-range action."""
    best: float
    """Mean over contexts of the best composite among the actions scored (the reward's oracle)."""
    n_contexts: int
    components: dict[str, dict[str, float]] = field(default_factory=dict)
    """policy name -> reward component -> mean (the training objective, for reference)."""
    greedy_actions: list[list[int]] = field(default_factory=list)
    """The greedy index triple chosen for each context."""
    head_probs: list[list[float]] = field(default_factory=list)
    """Mean per-head action probabilities of the learned policy over the contexts."""
    judged: dict[str, dict[str, float]] = field(default_factory=dict)
    """policy (greedy / random / mid, and oracle when every action was judged) -> fixed-judge
    metric -> mean over contexts."""
    actions: list[dict] = field(default_factory=list)
    """Per context: id, subject, emotion, the greedy and oracle (steps, a, b) and their judge
    scores: the table that shows whether the policy adapts to its context."""
    landscape: list[dict] = field(default_factory=list)
    """Per context: every judged action's (steps, a, b), judge score and composite reward."""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def evaluate_policy(policy, env: ArgenBanditEnv, random_actions: int = 8, seed: int = 0,
                    judge: bool = True, oracle: bool = True, thumb_size: int = 64,
                    set_models: dict | None = None, judge_generation=None) -> EvalResult:
    """Score ``policy`` (anything with ``act_indices`` / ``probs``) and the baselines on
    ``env.contexts``; see the module docstring. ``set_models``: optional ``lpips`` / ``i3d`` /
    ``real`` for the set-level metrics (``fixed_judge.set_metrics``); ``judge_generation``: the
    ``GenerationConfig`` the judged clips are made with (default: the env's)."""
    space = env.space
    rng = np.random.default_rng(seed)
    table = space.all_actions()
    mid = space.mid_action()
    judge = judge and env.cfg.rollout.scorer != "synthetic"
    per: dict[str, list[dict[str, float]]] = {name: [] for name in POLICIES}
    thumbs: dict[str, list[np.ndarray]] = {name: [] for name in POLICIES}
    emotions: list[str] = []
    best, chosen, probs, actions, landscape = [], [], [], [], []
    for ctx in env.contexts:
        obs = observation(ctx)
        g = np.asarray(policy.act_indices(obs))
        chosen.append(g.tolist())
        probs.append([np.asarray(p).tolist() for p in policy.probs(obs)])
        n_rand = space.size if random_actions <= 0 else min(random_actions, space.size)
        rand = table[rng.choice(space.size, size=n_rand, replace=False)]
        every = oracle and judge
        acts = table if every else np.unique(np.concatenate([g[None], mid[None], rand]), axis=0)
        row_of = {tuple(a): i for i, a in enumerate(acts)}
        seeds = [context_seed(ctx) + j for j in range(env.cfg.generation.seeds_per_context)]
        # 1. the training objective (reward cache), mean over generation seeds
        rewards = [env.evaluate_pool(ctx, acts, s).rewards for s in seeds]
        mean = [{k: float(np.mean([r[i][k] for r in rewards])) for k in rewards[0][i]} for i in range(len(acts))]
        best.append(max(m[COMPOSITE] for m in mean))
        # 2. the fixed judge (evaluation only), mean over seeds; thumbnails of the first seed
        if judge:
            measured = [env.judge_pool(ctx, acts, s, thumb_size, judge_generation) for s in seeds]
            for i in range(len(acts)):
                for k in JUDGE_KEYS + ("judge/held_s",):
                    mean[i][k] = float(np.nanmean([m[i][k] for m in measured])) \
                        if any(np.isfinite(m[i][k]) for m in measured) else float("nan")
            thumb = [m["thumb"] for m in measured[0]]
            scores = np.array([m[HEADLINE] for m in mean])
            o = int(np.nanargmax(scores)) if np.isfinite(scores).any() else row_of[tuple(g)]
        else:
            o = int(np.argmax([m[COMPOSITE] for m in mean]))
        picks = {"greedy": [row_of[tuple(g)]], "mid": [row_of[tuple(mid)]],
                 "random": [row_of[tuple(a)] for a in rand]}
        if every:          # the oracle is only the oracle when every action was judged
            picks["oracle"] = [o]
        for name, rows in picks.items():
            per[name].append(_mean_dicts([mean[i] for i in rows]))
            if judge:
                thumbs[name].append(thumb[rows[0]])
        emotions.append(ctx.emotion.value)
        decode = lambda i: _decoded(acts[i], space)  # noqa: E731
        actions.append({"context_id": ctx.context_id, "subject": ctx.subject, "emotion": ctx.emotion.value,
                        "greedy": decode(picks["greedy"][0]), "oracle": decode(o) if every else None,
                        "greedy_judge": mean[picks["greedy"][0]].get(HEADLINE),
                        "oracle_judge": mean[o].get(HEADLINE) if every else None,
                        "greedy_composite": mean[picks["greedy"][0]][COMPOSITE],
                        "composite_best": decode(int(np.argmax([m[COMPOSITE] for m in mean])))})
        landscape.append({"context_id": ctx.context_id, "actions": [
            [*decode(i), _round(mean[i].get(HEADLINE)), _round(mean[i][COMPOSITE])] for i in range(len(acts))]})
    per = {name: rows for name, rows in per.items() if rows}
    comps = {name: _mean_dicts(rows, prefix="reward/") for name, rows in per.items()}
    judged = {name: _mean_dicts(rows, prefix=("judge/", "identity/")) for name, rows in per.items()} if judge else {}
    if judge:
        from argen_rl.metrics.fixed_judge import set_metrics

        m = set_models or {}
        for name in judged:
            judged[name].update(set_metrics(thumbs[name], emotions, m.get("lpips"), m.get("i3d"), m.get("real")))
    head_probs = [np.mean([p[h] for p in probs], axis=0).tolist() for h in range(3)]
    return EvalResult(greedy=comps["greedy"][COMPOSITE], random=comps["random"][COMPOSITE],
                      mid=comps["mid"][COMPOSITE], best=float(np.mean(best)),
                      n_contexts=len(env.contexts), components={k: comps[k] for k in ("greedy", "random", "mid")},
                      greedy_actions=chosen, head_probs=head_probs, judged=judged, actions=actions,
                      landscape=landscape)


def _decoded(action: np.ndarray, space) -> list:
    from argen_rl.policy.actions import decode_action

    steps, a, b = decode_action(action, space)
    return [steps, a, b]


def _round(v):
    return None if v is None or not np.isfinite(v) else round(float(v), 4)


def _mean_dicts(rows: list[dict[str, float]], prefix: str | tuple[str, ...] = ("reward/", "judge/", "identity/")
                ) -> dict[str, float]:
    keys = [k for k in rows[0] if k.startswith(prefix)]
    out = {}
    for k in keys:
        vals = np.array([r[k] for r in rows], dtype=np.float64)
        out[k] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
    return out


def action_cells(actions: list[dict]) -> tuple[list[str], list[str], dict[tuple[str, str], list[tuple[str, str | None]]]]:
    """The per emotion x identity action grid of ``EvalResult.actions``: (emotions, subjects,
    cells), each cell the list of (greedy "S/a/b", the oracle's "S/a/b" where it differs, else
    None) of that emotion and identity's contexts."""
    emotions = sorted({r["emotion"] for r in actions})
    subjects = sorted({str(r["subject"] or r["context_id"]) for r in actions})
    cells: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for r in actions:
        g = "{}/{:g}/{:g}".format(*r["greedy"])
        o = "{}/{:g}/{:g}".format(*r["oracle"]) if r.get("oracle") else g
        cells.setdefault((r["emotion"], str(r["subject"] or r["context_id"])), []).append((g, None if o == g else o))
    return emotions, subjects, cells


def action_table(actions: list[dict]) -> str:
    """Markdown: per emotion (rows) x identity (columns), the greedy action "S/a/b" (and the
    oracle's when it differs), so a reader sees whether the policy adapts to its context."""
    emotions, subjects, cells = action_cells(actions)
    lines = ["| emotion | " + " | ".join(subjects) + " |", "|---|" + "---|" * len(subjects)]
    for e in emotions:
        lines.append(f"| {e} | " + " | ".join(
            "; ".join(g if o is None else f"{g} (oracle {o})" for g, o in cells.get((e, s), [])) or "-"
            for s in subjects) + " |")
    return "\n".join(lines) + "\n\nCells: greedy action S/a/b (steps or keyframes / Eq. 12 curve a / b); " \
        "\"oracle\" = the action the fixed judge scores highest for that context, shown where it differs.\n"
