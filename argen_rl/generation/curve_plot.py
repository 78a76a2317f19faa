"""Plot of the per-frame guidance curve (ARGen Eq. 12) for ``argen generate --plot-curve``."""
from __future__ import annotations

from pathlib import Path

from argen_rl.generation.params import guidance_weights
from argen_rl.io_utils import save_figure

REFERENCE_SHAPES: tuple[tuple[float, float], ...] = ((1.0, 1.0), (2.0, 2.0), (2.0, 5.0), (5.0, 2.0), (0.5, 0.5))
"""(a, b) pairs drawn faintly for comparison: constant, centred, early, late, U-shaped."""


def plot_curve(path: str | Path, a: float, b: float, w_min: float, w_max: float, frames: int = 16,
               references: tuple[tuple[float, float], ...] = REFERENCE_SHAPES) -> Path:
    """Write a PNG of w_f over frames f for (a, b) (bold) and the reference shapes (thin), and
    below it the warp generator's per-frame expression intensity for the same shapes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from argen_rl.generation.warp import frame_intensity

    f = list(range(frames))
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(6.4, 6.2), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [3, 2]})
    for ra, rb in references:
        if (ra, rb) == (a, b):
            continue
        ax.plot(f, guidance_weights(frames, ra, rb, w_min, w_max), lw=1, alpha=0.55, marker=".",
                label=f"a={ra:g}, b={rb:g}")
        ax2.plot(f, frame_intensity(frames, ra, rb), lw=1, alpha=0.55, marker=".")
    ax.plot(f, guidance_weights(frames, a, b, w_min, w_max), lw=2.6, color="black", marker="o",
            label=f"a={a:g}, b={b:g} (chosen)")
    ax2.plot(f, frame_intensity(frames, a, b), lw=2.6, color="black", marker="o")
    ax2.set_ylabel("warp intensity")
    ax2.set_ylim(-0.05, 1.05)
    ax2.set_xlabel("frame f (frame 0 = the reference, not generated; the curve spans frames 1..F-1)")
    ax.axhline(w_min, color="grey", lw=0.8, ls=":")
    ax.axhline(w_max, color="grey", lw=0.8, ls=":")
    ax.set_ylabel("guidance weight $w_f$")
    ax.set_title(f"ARGen Eq. 12: $w_f = w_{{min}} + (w_{{max}}-w_{{min}})\\,B(\\tau_f;a,b)/\\max B$, F={frames}")
    ax.set_ylim(w_min - 0.05 * (w_max - w_min + 1e-9), w_max + 0.05 * (w_max - w_min + 1e-9))
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return save_figure(fig, path)
