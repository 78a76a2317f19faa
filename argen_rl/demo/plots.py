"""The demo report's figures: reward and action curves over training, learned vs random action
histograms. (The class-distribution chart is the data layer's; GIFs come from video_io.)"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from argen_rl.io_utils import save_figure

REWARD_KEYS = ("reward/composite", "reward/topk", "pool/best_composite", "pool/mean_composite")
COMPONENT_KEYS = ("reward/steps", "reward/quality", "reward/face", "reward/expression")
ACTION_KEYS = ("action/steps", "action/a", "action/b")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    return save_figure(fig, path)


def _series(ax, rows: list[dict], keys: tuple[str, ...]) -> None:
    it = [r["iteration"] for r in rows]
    for k in keys:
        ys = [r.get(k) for r in rows]
        if any(y is not None for y in ys):
            ax.plot(it, [np.nan if y is None else y for y in ys], marker=".", label=k)
    ax.set_xlabel("training iteration")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)


def plot_reward_curves(rows: list[dict], path: Path) -> Path:
    """Composite / top-k / pool rewards and the four components per training iteration."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.0))
    _series(a, rows, REWARD_KEYS)
    a.set_title("reward (ARGen Eq. 18)")
    _series(b, rows, COMPONENT_KEYS)
    b.set_title("reward components (Eq. 14-17)")
    return _save(fig, path)


def plot_action_curves(rows: list[dict], path: Path) -> Path:
    """Mean chosen steps S and curve shapes a, b (Eq. 12) per training iteration."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(10, 2.4))
    for ax, key in zip(axes, ACTION_KEYS):
        _series(ax, rows, (key,))
        ax.set_title(f"mean {key.split('/')[1]} chosen")
    return _save(fig, path)


def action_histograms(greedy: np.ndarray, space) -> dict[str, dict[str, list[float]]]:
    """Per head: the share of contexts where the learned (greedy) policy picks each value, and a
    uniform-random policy's share (1 / set size)."""
    out = {}
    for h, name in enumerate(("steps", "a", "b")):
        values = list(getattr(space, name))
        counts = np.bincount(np.asarray(greedy)[:, h], minlength=len(values))
        out[name] = {"values": [float(v) for v in values],
                     "learned": (counts / max(counts.sum(), 1)).round(4).tolist(),
                     "random": [round(1 / len(values), 4)] * len(values)}
    return out


def plot_action_histograms(hist: dict[str, dict[str, list[float]]], path: Path, n_contexts: int) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(10, 2.6))
    for ax, (name, h) in zip(axes, hist.items()):
        x = np.arange(len(h["values"]))
        ax.bar(x - 0.2, h["learned"], 0.4, label=f"learned policy (greedy, {n_contexts} contexts)", color="#2ca02c")
        ax.bar(x + 0.2, h["random"], 0.4, label="random policy (uniform)", color="#7f7f7f")
        ax.set_xticks(x, [f"{v:g}" for v in h["values"]])
        ax.set_title(f"action {name}", fontsize=10)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of contexts")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return save_figure(fig, path)
