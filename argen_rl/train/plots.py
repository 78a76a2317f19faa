"""Learning-curve PNG from metrics.jsonl rows (one row per training iteration)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from argen_rl.io_utils import save_figure  # noqa: E402

PANELS = (
    ("reward", ("reward/topk", "reward/composite", "pool/best_composite", "pool/mean_composite")),
    ("components", ("reward/steps", "reward/quality", "reward/face", "reward/expression")),
    ("action", ("action/steps",)),
    ("cache", ("cache/hit_rate",)),
    ("time (s)", ("time/iteration_s",)),
)


def plot_learning_curve(rows: list[dict], path: str | Path, title: str = "ARD policy training") -> Path:
    fig, axes = plt.subplots(1, len(PANELS), figsize=(3.8 * len(PANELS), 3.4))
    it = [r["iteration"] for r in rows]
    for ax, (name, keys) in zip(axes, PANELS):
        for k in keys:
            ys = [r.get(k) for r in rows]
            if any(y is not None for y in ys):
                ax.plot(it, [float("nan") if y is None else y for y in ys], marker=".", label=k)
        ax.set_title(name)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
