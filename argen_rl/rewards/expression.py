"""Expression reward r_E (ARGen Eq. 17): AU amplitude against A_max, plus optional AU agreement.

The paper's text keeps only the description of Eq. 17: the L2 norm of each frame's AU vector,
normalised by an empirically chosen maximum reasonable amplitude A_max, with the stated aim of
discouraging exaggerated expressions. Our literal form of it, per frame f:

    u_f = ||AU_f||_2 / A_max
    a_f = u_f                      if u_f <= 1     (more visible expression is better, up to A_max)
        = max(0, 1 - (u_f - 1))    if u_f > 1      (exaggeration penalised, linearly, down to 0)
    amplitude = (1/F) sum_f a_f                                                     # ARGen Eq. 17

i.e. a tent peaking at ||AU|| = A_max, so r_E is in [0, 1]: a frozen face scores 0, an
expression reaching A_max scores 1, one at twice A_max scores 0 again. (The other reading,
1 - u, would rank a video with no expression at all highest, which defeats an expression
generator; we document the tent as our choice.)

AU_f come from the face area's geometric estimator (``argen_rl.face.au``): intensities of
``AU_SET`` on a 0..5 FACS-like scale, relative to the clip's first frame (the identity
reference), so the first frame has AU = 0 and ||AU_f|| measures how far the face moved. The
estimator detects landmarks afresh on every frame (its default): with mediapipe's tracker a
16-frame clip of one repeated photo read as AU norms up to 1.6 (tracker drift), per-frame
detection reads exactly 0, and was also faster on 256 px clips (0.07 s vs 0.30 s a clip). A
frame whose AUs cannot be measured (no face: NaN row) contributes a_f = 0.

A_max default 5.5: measured on warp-generator clips of the grace_hopper photo (surprise, curve
a=b=1, FACS intensity s on every target AU), mean ||AU_f|| over frames 1..15 was 4.8 (s=1.5),
5.2 (s=2.5), 5.7 (s=3.5) and 7.3 (s=5, the generator's maximum): A_max sits at a marked (C)
expression, so r_E ranks 2.5 > 3.5 > 5.0.

Agreement with the target emotion (optional, ``agreement_weight`` w in [0, 1]):

    m = (1/F) sum_f max(AU_f, 0)          measured AU pattern (mean positive activation)
    t = request.target_aus on AU_SET      target intensities (AUs outside AU_SET are ignored)
    agreement = max(0, cos(m, t))         0 when either vector is zero
    r_E = (1 - w) * amplitude + w * agreement

A request with no target AUs (e.g. neutral) has no agreement term: its r_E is the amplitude alone.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from argen_rl.rewards.steps import _check_pairs
from argen_rl.types import GenRequest, Video


def amplitude_score(aus: np.ndarray, A_max: float) -> tuple[float, np.ndarray]:
    """(mean_f a_f, per-frame ||AU_f||_2) for one clip's AU matrix (T, n_AU); NaN rows -> a_f = 0."""
    norms = np.linalg.norm(np.nan_to_num(aus, nan=0.0), axis=1)
    u = norms / A_max
    a = np.where(u <= 1.0, u, np.maximum(0.0, 2.0 - u))  # ARGen Eq. 17 (tent, see module docstring)
    a[np.isnan(aus).any(axis=1)] = 0.0
    return float(a.mean()), norms


def target_vector(target_aus: dict[int, float], au_set: Sequence[int]) -> np.ndarray:
    """Target AU intensities as a vector in ``au_set`` order (missing AUs = 0; keys may be "12" or 12)."""
    by_int = {int(k): float(v) for k, v in target_aus.items()}
    return np.array([by_int.get(au, 0.0) for au in au_set], dtype=np.float64)


def agreement_score(aus: np.ndarray, target: np.ndarray) -> float:
    """max(0, cosine) between the mean positive AU pattern of a clip and the target vector."""
    m = np.nanmean(np.maximum(aus, 0.0), axis=0) if np.isfinite(aus).any() else np.zeros(aus.shape[1])
    m = np.nan_to_num(m, nan=0.0)
    nm, nt = np.linalg.norm(m), np.linalg.norm(target)
    if nm == 0.0 or nt == 0.0:
        return 0.0
    return max(0.0, float(m @ target / (nm * nt)))


def make_expression_reward(A_max: float = 5.5, agreement_weight: float = 0.0, estimator: str = "geometric"):
    """r_E per video (ARGen Eq. 17) with optional target-AU agreement; see the module docstring."""
    if A_max <= 0:
        raise ValueError(f"A_max must be > 0, got {A_max}")
    if not 0.0 <= agreement_weight <= 1.0:
        raise ValueError(f"agreement_weight must lie in [0, 1], got {agreement_weight}")
    from argen_rl.face.au import AU_SET, make_au_estimator

    au_estimator = make_au_estimator(estimator)

    def expression_reward(videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        _check_pairs(videos, requests)
        n = len(videos)
        r_E, amp, agree, peak = np.zeros(n), np.zeros(n), np.full(n, np.nan), np.zeros(n)
        for i, (v, req) in enumerate(zip(videos, requests)):
            aus = np.asarray(au_estimator.estimate(v.frames), dtype=np.float64)
            amp[i], norms = amplitude_score(aus, A_max)
            peak[i] = float(norms.max())
            target = target_vector(req.target_aus or {}, AU_SET)
            if agreement_weight > 0 and np.any(target > 0):
                agree[i] = agreement_score(aus, target)
                r_E[i] = (1.0 - agreement_weight) * amp[i] + agreement_weight * agree[i]
            else:
                r_E[i] = amp[i]
        info = {"expression/amplitude": amp, "expression/agreement": agree, "expression/peak_au_norm": peak}
        return r_E, info

    return expression_reward
