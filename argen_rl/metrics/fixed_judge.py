"""The fixed judge of policies: one measurement of a generated clip that no policy trains on.

Every policy the project compares (the learned greedy policy, a uniform-random one, a fixed
mid-range action, the per-context oracle, an ablation row) is scored by ``judge_clip`` on the
clips its actions make, so no row is graded by its own training objective (shared DESIGN.md §6).
Per clip, relative to its target label and its first frame (the identity reference the
generators start from):

- ``judge/read``: 1 when the label is the held-out judge's (facex, ``metrics.judge``) top class
  at the clip's apex (the frame whose judged distribution moved furthest from frame 0's,
  ``HeldOutJudge.read_clip``); its mean over clips is the target read rate, the headline.
  ``judge/p_apex`` is the judge's probability of the label at that frame (the read's continuous
  form: policies and the oracle are ranked by it). The judge is used for these measurements and
  nothing else: never in a reward, an expert, or to choose a default.
- ``judge/p_clip``: the judge's mean probability of the label over the generated frames
  1..T-1: how much of the clip reads as its label (a recognizer trained on the clip samples
  frames across all of it).
- ``judge/naturalness``: the naturalness criterion of r_N (``rewards.naturalness``) applied to the
  face-mesh trajectory (``rewards.clip_measures.mesh_trajectory``), not to the optical-flow
  trajectory the reward reads: same criterion, another instrument. (A plain pixel-difference
  trajectory was tried first: on grace_hopper a still face's head motion alone moved it by up to
  11 grey levels at 64 px, about a disgust clip's whole peak, so it could not see timing.)
- ``identity/shape``: RMS distance (inter-ocular units) of the identity-bearing mesh points
  (upper face oval, nose bridge, eye corners: what an expression leaves in place) from frame 0's,
  after a similarity alignment, at the apex and the last frame.
- ``identity/colour``: CIE76 colour difference (Delta E in Lab) of the face region's mean colour
  (inside the face oval) from frame 0's, at the same frames.

``judge_clip`` also returns a small thumbnail video for the set-level metrics (diversity 1-SSIM /
LPIPS, FVD), which ``policy_set_metrics`` computes over one policy's clips.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from argen_rl.face import landmarks as L
from argen_rl.rewards.naturalness import naturalness_score
from argen_rl.rewards.timing import EmotionTiming
from argen_rl.types import EMOTIONS7, Emotion, Video

IDENTITY_POINTS: tuple[int, ...] = tuple(sorted(
    (set(L.FACE_OVAL) - set(L.JAW)) | set(L.NOSE_BRIDGE)
    | {L.RIGHT_EYE_OUTER, L.RIGHT_EYE_INNER, L.LEFT_EYE_OUTER, L.LEFT_EYE_INNER}))
"""Mesh points an expression leaves in place: forehead and temples, nose bridge, eye corners."""

JUDGE_KEYS = ("judge/read", "judge/p_apex", "judge/p_clip", "judge/naturalness", "identity/shape",
              "identity/colour")


def identity_distances(frames: np.ndarray, lm: np.ndarray, at: Sequence[int]) -> tuple[float, float]:
    """(shape, colour) distance of frames ``at`` from frame 0 (module docstring), from the clip's
    mesh points ``lm`` (T, 478, 2); NaN without a face."""
    from argen_rl.face.au import face_frame, similarity_align

    ref = lm[0]
    if not np.isfinite(ref).all():
        return float("nan"), float("nan")
    ref_ff = face_frame(ref)
    ref_lab = _face_lab(frames[0], ref)
    shape, colour = [], []
    for t in at:
        pts = lm[t]
        if not np.isfinite(pts).all():
            continue
        q = similarity_align(pts, ref_ff)[list(IDENTITY_POINTS)]
        shape.append(float(np.sqrt(((q - ref_ff[list(IDENTITY_POINTS)]) ** 2).sum(axis=1).mean())))
        colour.append(float(np.linalg.norm(_face_lab(frames[t], pts) - ref_lab)))
    if not shape:
        return float("nan"), float("nan")
    return float(np.mean(shape)), float(np.mean(colour))


def _face_lab(frame: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Mean CIE Lab colour (L 0..100, a/b about -128..127) inside the face oval."""
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(pts[list(L.FACE_OVAL)]).astype(np.int32)], 1)
    lab = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2LAB).astype(np.float64)
    sel = lab[mask.astype(bool)] if mask.any() else lab.reshape(-1, 3)
    m = sel.mean(axis=0)
    return np.array([m[0] * 100.0 / 255.0, m[1] - 128.0, m[2] - 128.0])


def judge_clip(video: Video, label: Emotion, timing: EmotionTiming, thumb_size: int = 64) -> dict:
    """The fixed judge's measurements of one clip (module docstring) + ``"thumb"``: the clip at
    ``thumb_size`` px (uint8 T x s x s x 3) for set-level metrics."""
    frames = video.frames
    if len(frames) < 2:
        raise ValueError(f"a clip to judge needs >= 2 frames, got {len(frames)}")
    out: dict = {}
    apex = 0
    if label in EMOTIONS7:
        from argen_rl.metrics.judge import held_out_judge

        reading = held_out_judge().read_clip(frames, label)
        out["judge/read"] = float(reading.reads_at_apex)
        out["judge/p_apex"] = reading.p_apex
        out["judge/p_clip"] = float(reading.probs[1:, label.index].mean())
        apex = reading.apex
    from argen_rl.rewards.clip_measures import (MESH_MIN_MOTION, MESH_STILL_STEP, landmark_track,
                                                mesh_trajectory)

    motion = mesh_trajectory(video)
    if label not in EMOTIONS7:
        out["judge/read"] = out["judge/p_apex"] = out["judge/p_clip"] = float("nan")
        apex = int(np.nanargmax(motion)) if np.isfinite(motion).any() else len(frames) - 1
    nat = naturalness_score(motion, video.fps, timing, MESH_MIN_MOTION, MESH_STILL_STEP)
    out["judge/naturalness"] = nat.score
    out["judge/held_s"] = nat.held_s
    out["judge/step_max"] = nat.step_max
    out["identity/shape"], out["identity/colour"] = identity_distances(
        frames, landmark_track(video), sorted({max(apex, 1), len(frames) - 1}))
    out["thumb"] = np.stack([cv2.resize(f, (thumb_size, thumb_size), interpolation=cv2.INTER_AREA) for f in frames])
    return out


def set_metrics(thumbs: Sequence[np.ndarray], emotions: Sequence[str], lpips_model=None,
                i3d_model=None, real=None) -> dict:
    """Set-level measurements of ONE policy's clips (one per context): diversity 1 - SSIM (always)
    and LPIPS (with ``lpips_model``), the mean over every pair of its clips (an evaluation split
    may hold one identity, or one clip per emotion, so pairs are not restricted to a condition);
    FVD against the ``real`` videos (a ``metrics.inputs.VideoSet``) with ``i3d_model``."""
    from argen_rl.metrics.diversity import diversity_by_condition, lpips_distance, ssim_distance

    group = ["all"] * len(thumbs)
    out: dict = {"diversity/ssim": diversity_by_condition(thumbs, group, ssim_distance, progress=False).value}
    if lpips_model is not None:
        out["diversity/lpips"] = diversity_by_condition(thumbs, group, lpips_distance(lpips_model),
                                                        progress=False).value
    if i3d_model is not None and real is not None and len(real) >= 2 and len(thumbs) >= 2:
        import warnings

        from argen_rl.metrics.fvd import SmallGroupWarning, compute_fvd_suite

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallGroupWarning)
            fvd = compute_fvd_suite(i3d_model, real.videos, list(thumbs), progress=False)
        out["fvd"] = fvd["fvd"]
    return out
