"""Frame-wise guidance schedule (ARGen Eq. 11-12).

Frame f of F gets its own classifier-free-guidance weight w_f, shaped by a Beta-like curve whose
shape parameters (a, b) the policy picks:

    w_f = w_min + (w_max - w_min) * B(tau_f; a, b) / max_f' B(tau_f'; a, b)      # ARGen Eq. 12
    B(tau; a, b) = tau^(a-1) * (1 - tau)^(b-1)

Edge cases, as we define them:
- tau_f = (f + 0.5) / F, the midpoint of frame f's slot in [0, 1]. Midpoints keep B finite for
  every a, b > 0 (a < 1 or b < 1 would diverge at the interval ends), and the curve is symmetric
  under reversing the frame order when a and b are swapped.
- the normalisation uses the maximum over the F frames actually sampled, so the strongest frame
  always gets exactly w_max, and the weakest gets >= w_min.
- a == b == 1 makes B constant: every frame gets w_max (constant guidance, TI2V-Zero's setting
  when w_max = 9).
- B is evaluated in log space to avoid overflow for large a, b.

The same curve drives the warp generator's per-frame expression intensity (with w_min=0,
w_max=1), so a policy learns one notion of "where in the clip the expression peaks".
"""
from __future__ import annotations

import numpy as np

from argen_rl.types import GenParams


def frame_positions(frames: int) -> np.ndarray:
    """Normalised frame positions tau_f = (f + 0.5) / F in (0, 1)."""
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    return (np.arange(frames, dtype=np.float64) + 0.5) / frames


def beta_shape(tau: np.ndarray, a: float, b: float) -> np.ndarray:
    """Unnormalised Beta-like curve B(tau; a, b), computed in log space."""
    if a <= 0 or b <= 0:
        raise ValueError(f"a and b must be > 0, got a={a}, b={b}")
    tau = np.asarray(tau, dtype=np.float64)
    if np.any((tau <= 0) | (tau >= 1)):
        raise ValueError("tau must lie strictly inside (0, 1)")
    log_b = (a - 1.0) * np.log(tau) + (b - 1.0) * np.log1p(-tau)
    return np.exp(log_b - log_b.max())  # scaled so the max is 1; the ratio below is unchanged


def guidance_weights(frames: int, a: float, b: float, w_min: float, w_max: float) -> np.ndarray:
    """Per-frame guidance weights w_1..w_F (ARGen Eq. 12), float64 (F,)."""
    if w_max < w_min:
        raise ValueError(f"w_max ({w_max}) < w_min ({w_min})")
    shape = beta_shape(frame_positions(frames), a, b)
    shape = shape / shape.max()
    return w_min + (w_max - w_min) * shape


def guidance_for(params: GenParams) -> np.ndarray:
    """Per-frame guidance weights for a GenParams."""
    return guidance_weights(params.frames, params.a, params.b, params.w_min, params.w_max)


def intensity_curve(frames: int, a: float, b: float) -> np.ndarray:
    """The same curve mapped to [0, 1]: per-frame expression intensity for the warp generator."""
    return guidance_weights(frames, a, b, 0.0, 1.0)
