"""The ablation table (CSV + Markdown) and bar plot (PNG) from the rows' metrics."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from argen_rl.io_utils import atomic_write_text, save_figure  # noqa: E402

# (column header, metrics key, digits): the fixed judge first (what the rows are ranked by),
# the fixed evaluation reward after it for reference
COLUMNS = (
    ("row", "row", None), ("kind", "kind", None),
    ("judge read rate", "judge/judge_read", 3), ("judge p(target) apex", "judge/judge_p_apex", 4),
    ("judge p(target) clip", "judge/judge_p_clip", 4),
    ("naturalness (judge)", "judge/judge_naturalness", 3), ("identity shape (IOD)", "judge/identity_shape", 4),
    ("identity colour (dE)", "judge/identity_colour", 2), ("diversity 1-SSIM", "judge/diversity_ssim", 4),
    ("diversity LPIPS", "judge/diversity_lpips", 4), ("FVD", "judge/fvd", 1),
    ("eval reward", "eval/composite", 4), ("r_E", "eval/expression", 4), ("r_N", "eval/naturalness", 4),
    ("mean steps", "eval/mean_steps", 2), ("cache hit rate", "cache/hit_rate", 3),
    ("train iters", "train/iterations", None), ("status", "status", None),
)
JUDGE = "judge/judge_read"


def _cell(value, digits) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if digits is not None and isinstance(value, (int, float)):
        return f"{value:.{digits}f}"
    return str(value)


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c[0] for c in COLUMNS])
    for r in rows:
        w.writerow([_cell(r.get(key), digits) for _, key, digits in COLUMNS])
    return buf.getvalue()


def to_markdown(rows: list[dict], eval_weights: dict[str, float]) -> str:
    lines = ["| " + " | ".join(c[0] for c in COLUMNS) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(key), digits) for _, key, digits in COLUMNS) + " |")
    w = ", ".join(f"{k} {v:g}" for k, v in eval_weights.items())
    return "\n".join(lines) + (
        "\n\nEvery row is scored on held-out contexts by the same fixed judge, which no row trains on: "
        "the held-out classifier's read rate of the target at the clip's apex (and its probability there), "
        "its mean probability of the target over the generated frames, naturalness on the face-mesh "
        "trajectory, identity distances to the "
        "reference frame, diversity of the row's clips and FVD (empty: weights not configured). "
        f"\"eval reward\" is the fixed evaluation composite ({w}), for reference only.\n")


def plot(rows: list[dict], path: str | Path, title: str = "Reward ablation (fixed judge)") -> Path:
    ok = [r for r in rows if r.get(JUDGE) is not None]
    comps = [k for k in ("judge_p_apex", "judge_p_clip", "judge_naturalness", "diversity_ssim")
             if any(f"judge/{k}" in r for r in ok)]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    names = [r["row"] for r in ok]
    bars = ax1.bar(names, [r[JUDGE] for r in ok], color="tab:blue")
    ax1.bar_label(bars, fmt="%.2f", fontsize=8)
    ax1.set_title("held-out judge: target read rate (held-out contexts)")
    ax1.tick_params(axis="x", rotation=30)
    ax1.grid(axis="y", alpha=0.3)
    width = 0.8 / max(len(comps), 1)
    for j, k in enumerate(comps):
        xs = [i + (j - (len(comps) - 1) / 2) * width for i in range(len(ok))]
        ax2.bar(xs, [r.get(f"judge/{k}", float("nan")) for r in ok], width, label=k)
    ax2.set_xticks(range(len(ok)), names, rotation=30)
    ax2.set_title("fixed judge: p(target) apex / clip, naturalness, diversity (held-out)")
    ax2.grid(axis="y", alpha=0.3)
    ax2.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


def write_report(rows: list[dict], out_dir: str | Path, eval_weights: dict[str, float]) -> dict[str, Path]:
    out = Path(out_dir)
    return {"csv": atomic_write_text(out / "ablation.csv", to_csv(rows)),
            "markdown": atomic_write_text(out / "ablation.md", to_markdown(rows, eval_weights)),
            "png": plot(rows, out / "ablation.png")}
