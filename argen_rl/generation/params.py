"""Frame-wise guidance schedule (ARGen Eq. 11-12): ONE curve for every generator.

Frame f of F gets its own weight, shaped by a Beta-like curve whose shape parameters (a, b) the
policy picks:

    w_f = w_min + (w_max - w_min) * (B(tau_f) - min B) / (max B - min B)      # ARGen Eq. 12
    B(tau; a, b) = tau^(a-1) * (1 - tau)^(b-1)

Our reading, shared by ti2v (w_f = the CFG weight of the sampling run that makes frame f) and
warp (w_min = 0, w_max = 1: the expression intensity of frame f):

- frame 0 is the reference image itself in both generators (TI2V conditions on it; the warp
  starts from it), so it is not generated and takes no part in the curve: tau runs over the
  generated frames 1..F-1 only, at the midpoints of their slots, tau_f = (f - 0.5) / (F - 1).
  Midpoints keep B finite for every a, b > 0 (a < 1 or b < 1 diverge at the interval ends), and
  swapping a and b reverses the generated frames. Frame 0 gets w_min (intensity 0); ti2v never
  reads it.
- B is normalised over those generated frames (min-max), so the frame where B peaks gets exactly
  w_max and the frame where it is lowest gets exactly w_min: the policy's (a, b) uses the whole
  [w_min, w_max] range, as Eq. 12's two end points say.
- a == b == 1 makes B constant, and a constant curve is w_max on every generated frame (constant
  guidance, TI2V-Zero's setting when w_max = 9; for the warp: the full expression throughout).
- B is evaluated in log space, so large a, b do not overflow.
"""
from __future__ import annotations

import numpy as np

from argen_rl.types import GenParams


def frame_positions(frames: int) -> np.ndarray:
    """Normalised positions tau_f = (f - 0.5) / (F - 1) of the generated frames f = 1..F-1."""
    if frames < 2:
        raise ValueError(f"frames must be >= 2 (the reference + at least one generated frame), got {frames}")
    return (np.arange(1, frames, dtype=np.float64) - 0.5) / (frames - 1)


def beta_shape(tau: np.ndarray, a: float, b: float) -> np.ndarray:
    """Unnormalised Beta-like curve B(tau; a, b), computed in log space (scaled so its max is 1)."""
    if a <= 0 or b <= 0:
        raise ValueError(f"a and b must be > 0, got a={a}, b={b}")
    tau = np.asarray(tau, dtype=np.float64)
    if np.any((tau <= 0) | (tau >= 1)):
        raise ValueError("tau must lie strictly inside (0, 1)")
    log_b = (a - 1.0) * np.log(tau) + (b - 1.0) * np.log1p(-tau)
    return np.exp(log_b - log_b.max())


def curve_shape(frames: int, a: float, b: float) -> np.ndarray:
    """Eq. 12's normalised shape per output frame, float64 (F,) in [0, 1]: 0 for the reference
    frame 0; over frames 1..F-1 the min-max-normalised B (peak 1, lowest 0; constant B -> 1)."""
    shape = beta_shape(frame_positions(frames), a, b)
    span = shape.max() - shape.min()
    norm = (shape - shape.min()) / span if span > 1e-12 else np.ones_like(shape)
    return np.concatenate([[0.0], norm])


def guidance_weights(frames: int, a: float, b: float, w_min: float, w_max: float) -> np.ndarray:
    """Per-frame guidance weights w_0..w_{F-1} (ARGen Eq. 12), float64 (F,); w_0 = w_min is the
    reference frame's (never generated)."""
    if w_max < w_min:
        raise ValueError(f"w_max ({w_max}) < w_min ({w_min})")
    return w_min + (w_max - w_min) * curve_shape(frames, a, b)


def guidance_for(params: GenParams) -> np.ndarray:
    """Per-frame guidance weights for a GenParams."""
    return guidance_weights(params.frames, params.a, params.b, params.w_min, params.w_max)


def intensity_curve(frames: int, a: float, b: float) -> np.ndarray:
    """The same curve with w_min = 0, w_max = 1: the warp generator's per-frame expression
    intensity (frame 0 = the reference = 0; the peak frame = 1)."""
    return curve_shape(frames, a, b)
