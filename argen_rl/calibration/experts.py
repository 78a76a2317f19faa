"""Label experts for SynFER-style calibration of generated clips.

Each expert maps one clip (uint8 TxHxWx3, frame 0 = the neutral reference the generator started
from) to a probability vector over the 7 canonical classes (``EMOTIONS7`` order). Experts judge
the clip's *peak* frames: generated clips ramp from the neutral identity to the expression, so
averaging over every frame would let the neutral start outvote the expression.

- ``FERExpert``: the FER2013 mini-Xception (argen_rl.face.fer) on the peak frames.
- ``AUExpert``: geometric AUs at the peak (relative to frame 0) compared with each emotion's
  prototype AU set from the ASI knowledge base; a softmax over the similarities. Neutral scores
  high when no AU moves.

An expert that cannot judge a clip at all (no face in the neutral first frame, or in none of
the peak frames) raises ``UnjudgeableClip``; the calibrator rejects such a clip with the reason.
- ``RecognizerExpert``: a trained video recognizer (argen_rl.recognition), when one is given.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from argen_rl.types import EMOTIONS7, Emotion


class UnjudgeableClip(ValueError):
    """The clip cannot be judged (e.g. no face where the expert needs one)."""


class LabelExpert(Protocol):
    name: str

    def predict(self, frames: np.ndarray) -> np.ndarray:
        """(T,H,W,3) uint8 clip -> (7,) probabilities in EMOTIONS7 order."""
        ...


def peak_frame_indices(frames: np.ndarray, n_peak: int) -> np.ndarray:
    """Indices of the ``n_peak`` frames that differ most from frame 0 (the neutral start).

    Mean absolute pixel difference is weights-free and cheap; ties keep temporal order.
    """
    if len(frames) <= 1:
        return np.arange(len(frames))
    ref = frames[0].astype(np.int16)
    diff = np.array([np.abs(f.astype(np.int16) - ref).mean() for f in frames[1:]])
    n = min(n_peak, len(diff))
    order = np.argsort(-diff, kind="stable")[:n]
    return np.sort(order + 1)


class FERExpert:
    """FER2013 mini-Xception on the peak frames, probabilities averaged."""

    name = "fer"

    def __init__(self, n_peak: int = 4, classifier=None) -> None:
        if classifier is None:
            from argen_rl.face.fer import ExpressionClassifier

            classifier = ExpressionClassifier()
        self.classifier = classifier
        self.n_peak = n_peak

    def predict(self, frames: np.ndarray) -> np.ndarray:
        idx = peak_frame_indices(frames, self.n_peak)
        return self.classifier.predict_proba(frames[idx]).mean(axis=0)


class AUExpert:
    """AU pattern at the peak vs each emotion's prototype AUs (ASI knowledge base).

    m = min(1, ||AU|| / neutral_scale) is how much the face moved at all;
    score_e = m * cos(measured AU vector, prototype indicator of e) for the expressive classes;
    neutral's score = 1 - m. probabilities = softmax(score / temperature).

    The factor m matters: the geometric estimator reads a static clip (head motion only) as a
    small AU vector (L2 norm ~0.3-0.45 on warp clips of real photos, mostly AU17/AU9 dead-zone
    residue) whose *direction* is arbitrary, so an un-gated cosine could call a static clip
    "disgust". Gated, a clip that barely moves is judged neutral.
    """

    name = "au"

    def __init__(self, n_peak: int = 4, temperature: float = 0.15, neutral_scale: float = 1.5,
                 estimator=None, kb=None) -> None:
        from argen_rl.face.au import AU_SET

        if estimator is None:
            from argen_rl.face.au import make_au_estimator

            estimator = make_au_estimator("geometric")
        if kb is None:
            from argen_rl.asi.kb import load_kb

            kb = load_kb()
        self.estimator = estimator
        self.n_peak = n_peak
        self.temperature = temperature
        self.neutral_scale = neutral_scale
        self.au_set = tuple(AU_SET)
        self.prototypes = {}
        for e in EMOTIONS7:
            if e is Emotion.NEUTRAL:
                continue
            vec = np.array([1.0 if au in set(kb.emotion_aus(e)) else 0.0 for au in self.au_set])
            self.prototypes[e] = vec / max(np.linalg.norm(vec), 1e-8)

    def au_at_peak(self, frames: np.ndarray) -> np.ndarray:
        """Mean AU vector (>= 0) over the peak frames that show a face, relative to frame 0."""
        try:
            aus = self.estimator.estimate(frames, reference=frames[0])
        except ValueError as err:          # the estimator found no face in the reference
            raise UnjudgeableClip(f"AU expert: {err} (first frame)") from None
        idx = peak_frame_indices(frames, self.n_peak)
        peak = aus[idx]
        peak = peak[~np.isnan(peak).any(axis=1)]   # frames without a face are NaN rows
        if len(peak) == 0:
            raise UnjudgeableClip("AU expert: no face in any peak frame")
        return np.clip(peak, 0.0, None).mean(axis=0)

    def predict(self, frames: np.ndarray) -> np.ndarray:
        au = self.au_at_peak(frames)
        norm = float(np.linalg.norm(au))
        moved = min(1.0, norm / self.neutral_scale)
        scores = np.zeros(len(EMOTIONS7))
        for e, proto in self.prototypes.items():
            scores[e.index] = moved * float(au @ proto) / norm if norm > 1e-8 else 0.0
        scores[Emotion.NEUTRAL.index] = 1.0 - moved
        z = scores / self.temperature
        p = np.exp(z - z.max())
        return p / p.sum()


class RecognizerExpert:
    """A trained video recognizer: any object with ``predict_proba(clips (N,T,H,W,3)) -> (N,7)``."""

    name = "recognizer"

    def __init__(self, recognizer) -> None:
        self.recognizer = recognizer

    def predict(self, frames: np.ndarray) -> np.ndarray:
        return np.asarray(self.recognizer.predict_proba(frames[None]))[0]
