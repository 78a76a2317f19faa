"""Dataset summary files: class counts CSV, skipped-clips CSV and a class-distribution bar chart."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from argen_rl.data.index import DatasetIndex
from argen_rl.io_utils import atomic_write_text, save_figure
from argen_rl.types import Emotion


def write_counts_csv(path: Path, counts: dict[Emotion, int], scarce: list[Emotion]) -> Path:
    total = sum(counts.values())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["emotion", "count", "fraction", "scarce"])
    for e, n in counts.items():
        w.writerow([e.value, n, f"{n / total:.4f}" if total else "0", int(e in scarce)])
    return atomic_write_text(path, buf.getvalue())


def write_skipped_csv(path: Path, index: DatasetIndex) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["clip_id", "path", "reason"])
    for s in index.skipped:
        w.writerow([s.clip_id, s.path, s.reason])
    return atomic_write_text(path, buf.getvalue())


def plot_class_distribution(path: Path, counts: dict[Emotion, int], scarce: list[Emotion],
                            threshold: float, title: str) -> Path:
    """Bar chart of clips per class; scarce classes in red, the scarce threshold dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [e.value for e in counts]
    values = list(counts.values())
    colors = ["#d62728" if e in scarce else "#1f77b4" for e in counts]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=120)
    bars = ax.bar(names, values, color=colors)
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"scarce threshold ({threshold:.1f} clips)")
    ax.set_ylabel("clips")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.margins(y=0.15)
    fig.tight_layout()
    return save_figure(fig, path)
