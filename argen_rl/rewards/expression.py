"""Expression reward r_E (ARGen Eq. 17): AU amplitude against A_max, plus the experts' target agreement.

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

AU_f come from the AU reader named ``estimator`` (``argen_rl.face.au.make_au_estimator``; default
"pls", py-feat's data-fitted AU -> mesh model inverted, which shares nothing with the warp
generator; "geometric" had its gains set from the generator's own fields): intensities of
``AU_SET`` on a 0..5 FACS-like scale, relative to the clip's first frame (the identity
reference), so the first frame has AU = 0 and ||AU_f|| measures how far the face moved. Landmarks
are detected afresh on every frame (tracking drifts: a clip of one repeated photo read as AU
norms up to 1.6 with mediapipe's tracker, exactly 0 with per-frame detection). A frame whose AUs
cannot be measured (no face: NaN row) contributes a_f = 0.

A_max default 8.5: measured on warp-generator clips of the grace_hopper photo (surprise, curve
a=b=1, FACS intensity s on every target AU, 256 px, warp v2 after issue 11's second round), the
pls reader's mean ||AU_f|| over frames 1..15 was 7.3 (s=1.5), 7.9 (s=2.5), 8.5 (s=3.5) and 9.2
(s=5, the generator's maximum): A_max sits at a marked (C) expression. (The geometric reader
reads 6.2 / 6.5 / 7.0 / 7.4 on the same clips; its old A_max 5.5 was measured on the warp
generator before issue 11 raised its letter floor.)

Target agreement (``agreement_weight`` w, default 0.5): the label experts' ensemble probability
of the request's target emotion (``argen_rl.calibration.calibrator.make_experts``, the experts
label calibration uses; SynFER's mean-probability vote), each expert reading the clip's peak:
the ``n_peak`` (default 4) frames most changed from the neutral first frame, as calibration
reads a clip (``n_peak`` = 0: every generated frame):

    agreement = mean over experts that can read the clip and vote on the target (an expert
                abstains on a class it cannot recognise, ``CalibrationConfig.abstain``)
                of p_expert(target emotion)
    r_E = (1 - w) * amplitude + w * agreement

The experts are named in ``experts`` (default the calibration default, FER2013 net + AU expert;
"recognizer" needs a checkpoint and is left to calibration). An expert that cannot read the clip
(no face) is left out; when none can, agreement is 0. A neutral (or contempt) target has no
agreement term: its r_E is the amplitude alone and its agreement NaN. Why w = 0.5: the amplitude
says "the face moved as much as a marked expression does", agreement says "the movement is the
target emotion"; neither alone is what a label needs, and neither is better known than the other,
so they count equally (docs/rewards.md gives both parts' spread over the action set).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from argen_rl.rewards.steps import _check_pairs
from argen_rl.types import EMOTIONS7, Emotion, GenRequest, Video


def amplitude_score(aus: np.ndarray, A_max: float) -> tuple[float, np.ndarray]:
    """(mean_f a_f, per-frame ||AU_f||_2) for one clip's AU matrix (T, n_AU); NaN rows -> a_f = 0."""
    norms = np.linalg.norm(np.nan_to_num(aus, nan=0.0), axis=1)
    u = norms / A_max
    a = np.where(u <= 1.0, u, np.maximum(0.0, 2.0 - u))  # ARGen Eq. 17 (tent, see module docstring)
    a[np.isnan(aus).any(axis=1)] = 0.0
    return float(a.mean()), norms


ALL_FRAMES = 1_000_000
"""What ``n_peak`` = 0 means to the experts' peak selection: keep every generated frame."""


def make_expression_reward(A_max: float = 8.5, agreement_weight: float = 0.5, estimator: str = "pls",
                           experts: Sequence[str] = ("fer", "au"), n_peak: int = 4):
    """r_E per video (ARGen Eq. 17 amplitude + the experts' target agreement; module docstring)."""
    if A_max <= 0:
        raise ValueError(f"A_max must be > 0, got {A_max}")
    if not 0.0 <= agreement_weight <= 1.0:
        raise ValueError(f"agreement_weight must lie in [0, 1], got {agreement_weight}")
    from argen_rl.face.au import make_au_estimator
    from argen_rl.rewards.clip_measures import au_trajectory

    make_au_estimator(estimator)               # fail on an unknown reader now, not on the first clip
    if n_peak < 0:
        raise ValueError(f"n_peak must be >= 0 (0 = every generated frame), got {n_peak}")
    voters = _build_experts(list(experts), n_peak or ALL_FRAMES) if agreement_weight > 0 else []

    def expression_reward(videos: Sequence[Video], requests: Sequence[GenRequest]) -> tuple[np.ndarray, dict]:
        _check_pairs(videos, requests)
        n = len(videos)
        r_E, amp, agree, peak = np.zeros(n), np.zeros(n), np.full(n, np.nan), np.zeros(n)
        per_expert = {ex.name: np.full(n, np.nan) for ex in voters}
        for i, (v, req) in enumerate(zip(videos, requests)):
            amp[i], norms = amplitude_score(au_trajectory(v, estimator), A_max)
            peak[i] = float(norms.max())
            r_E[i] = amp[i]
            if voters and req.emotion in EMOTIONS7 and req.emotion is not Emotion.NEUTRAL:
                agree[i] = target_agreement(voters, v.frames, req.emotion, per_expert, i)
                r_E[i] = (1.0 - agreement_weight) * amp[i] + agreement_weight * agree[i]
        info = {"expression/amplitude": amp, "expression/agreement": agree, "expression/peak_au_norm": peak}
        info.update({f"expression/p_{name}": p for name, p in per_expert.items()})
        return r_E, info

    return expression_reward


def _build_experts(names: list[str], n_peak: int) -> list:
    from argen_rl.calibration.calibrator import CalibrationConfig, make_experts

    if not names:
        raise ValueError("agreement_weight > 0 needs at least one expert")
    return make_experts(CalibrationConfig.model_validate({"experts": names, "n_peak": n_peak}))


def target_agreement(experts: Sequence, frames: np.ndarray, target: Emotion,
                     per_expert: dict[str, np.ndarray] | None = None, row: int = 0) -> float:
    """Mean over the experts that can read ``frames`` and vote on ``target`` (not in their
    ``abstains``) of their probability of ``target`` (0 when none can). Each voting expert's
    probability is written to ``per_expert[name][row]``."""
    from argen_rl.calibration.experts import UnjudgeableClip

    ps = []
    for ex in experts:
        if target in ex.abstains:
            continue
        try:
            p = float(np.asarray(ex.predict(frames), dtype=np.float64)[target.index])
        except UnjudgeableClip:
            continue
        ps.append(p)
        if per_expert is not None:
            per_expert[ex.name][row] = p
    return float(np.mean(ps)) if ps else 0.0
