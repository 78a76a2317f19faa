"""Label experts for SynFER-style calibration of generated clips.

Each expert maps one clip (uint8 TxHxWx3, frame 0 = the neutral reference the generator started
from) to a probability vector over the 7 canonical classes (``EMOTIONS7`` order). Experts judge
the clip's *peak* frames: generated clips ramp from the neutral identity to the expression, so
averaging over every frame would let the neutral start outvote the expression.

- ``FERExpert``: the FER2013 mini-Xception (argen_rl.face.fer) on the peak frames that show a face.
- ``AUExpert``: AUs read by the ``pls`` reader (py-feat's data-fitted AU -> mesh model inverted,
  ``face.au_pls``: no part of the warp generator) at the peak relative to frame 0, scored against
  EMFACS prototypes (``EMFACS``: FACS literature, not the ASI knowledge base the generator uses).
- ``RecognizerExpert``: a trained video recognizer (argen_rl.recognition), when one is given.
- ``GeometricAUExpert``: the expert used before issue 12 (geometric AUs, whose gains were set from
  the generator's own fields, vs the knowledge-base prototypes the generator applied: circular on
  warp clips). Kept only so that benchmarks can show before / after; never a default.

An expert that cannot read a clip (no face in the neutral first frame, or in none of the peak
frames) raises ``UnjudgeableClip``; the calibrator leaves it out of the vote and rejects a clip
that no expert can read.

An expert also abstains on the labels it cannot recognise on real faces (``abstains``, set from
``CalibrationConfig.abstain``; defaults ``BLIND_SPOTS``): its near-zero probability of a class it
never predicts is no evidence against that class, and in a mean of two it would veto the class
for good. Measured for the FER2013 net on disgust (docs/augmentation.md, "Abstention"): py-feat's
posed disgust photo p(disgust) = 0.001 (read as angry); over all 544 frames of py-feat's two real
face videos disgust is never its top class (largest p 0.36); over 80 AU combinations rendered on
four faces its largest p(disgust) is 0.11. (FER2013 holds 547 disgust images of 35,887: 1.5 %.)
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from argen_rl.types import EMOTIONS7, Emotion


class UnjudgeableClip(ValueError):
    """The clip cannot be judged (e.g. no face where the expert needs one)."""


BLIND_SPOTS: dict[str, tuple[Emotion, ...]] = {"fer": (Emotion.DISGUST,)}
"""Expert -> classes it cannot recognise on real faces (module docstring gives the measurement)."""


class LabelExpert(Protocol):
    name: str
    abstains: frozenset[Emotion]
    """Labels this expert does not vote on (it cannot recognise them)."""

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
    """FER2013 mini-Xception on the peak frames that show a face, probabilities averaged."""

    name = "fer"
    abstains: frozenset[Emotion] = frozenset()

    def __init__(self, n_peak: int = 4, classifier=None) -> None:
        if classifier is None:
            from argen_rl.face.fer import ExpressionClassifier

            classifier = ExpressionClassifier()
        self.classifier = classifier
        self.n_peak = n_peak

    def predict(self, frames: np.ndarray) -> np.ndarray:
        idx = peak_frame_indices(frames, self.n_peak)
        faces = [i for i in idx if self.classifier.face_box(frames[i]) is not None]
        if not faces:       # the classifier would read the whole frame: no reading of a face
            raise UnjudgeableClip("fer expert: no face in any peak frame")
        return self.classifier.predict_proba(frames[faces]).mean(axis=0)


# EMFACS prototypes (Friesen & Ekman 1983, EMFACS-7; as tabulated e.g. by Matsumoto & Ekman 2008,
# "Facial expression analysis", Scholarpedia 3(5):4237), restricted to AUs the pls reader has
# (AU16 is not a py-feat model input; disgust keeps 9 + 10, the nose wrinkler / upper lip raiser
# pair a coder looks for). Independent of the ASI knowledge base the generator draws AUs from.
EMFACS: dict[Emotion, tuple[int, ...]] = {
    Emotion.HAPPY: (6, 12),
    Emotion.SAD: (1, 4, 15),
    Emotion.SURPRISE: (1, 2, 5, 26),
    Emotion.FEAR: (1, 2, 4, 5, 7, 20, 26),
    Emotion.ANGRY: (4, 5, 7, 23),
    Emotion.DISGUST: (9, 10),
}


class AUExpert:
    """EMFACS prototypes on the ``pls`` reader's AUs at the peak (relative to frame 0).

    a = mean AU intensities (0..5) over the peak frames that show a face, only the AUs allowed
    to vote (``face.au_pls.voting_aus``: the generator's PLS AUs are left out);
    completeness_e = mean over e's prototype AUs of min(a_k / full, 1): how much of the
    prototype is there, ``full`` = the intensity that counts as fully present;
    score_e = completeness_e for the six expressions, score_neutral = 1 - min(1, max_k a_k / full);
    probabilities = softmax(score / temperature).
    """

    name = "au"
    abstains: frozenset[Emotion] = frozenset()

    def __init__(self, n_peak: int = 4, full: float = 2.5, temperature: float = 0.1, estimator=None) -> None:
        from argen_rl.face.au_pls import voting_aus

        if estimator is None:
            from argen_rl.face.au import make_au_estimator

            estimator = make_au_estimator("pls")
        self.estimator = estimator
        self.n_peak, self.full, self.temperature = n_peak, full, temperature
        self.aus = voting_aus(tuple(estimator.pls_aus))
        cols = {au: i for i, au in enumerate(estimator.pls_aus)}
        self._cols = [cols[au] for au in self.aus]
        self.prototypes = {e: [self.aus.index(au) for au in aus if au in self.aus] for e, aus in EMFACS.items()}

    def au_at_peak(self, frames: np.ndarray) -> np.ndarray:
        """Mean voting-AU vector (0..5) over the peak frames that show a face, relative to frame 0."""
        idx = peak_frame_indices(frames, self.n_peak)
        lm = self.estimator.mesh.landmarks_video(frames[np.r_[0, idx]], depth=True)
        if not np.isfinite(lm[0]).all():
            raise UnjudgeableClip("au expert: no face in the first frame (the neutral reference)")
        aus = self.estimator.read_landmarks(lm[1:], lm[0]).aus[:, self._cols]
        aus = aus[~np.isnan(aus).any(axis=1)]
        if len(aus) == 0:
            raise UnjudgeableClip("au expert: no face in any peak frame")
        return np.clip(aus.mean(axis=0), 0.0, 5.0)

    def scores(self, au: np.ndarray) -> np.ndarray:
        s = np.zeros(len(EMOTIONS7))
        level = np.minimum(au / self.full, 1.0)
        for e, cols in self.prototypes.items():
            s[e.index] = float(level[cols].mean()) if cols else 0.0
        s[Emotion.NEUTRAL.index] = 1.0 - float(level.max(initial=0.0))
        return s

    def predict(self, frames: np.ndarray) -> np.ndarray:
        z = self.scores(self.au_at_peak(frames)) / self.temperature
        p = np.exp(z - z.max())
        return p / p.sum()


class GeometricAUExpert:
    """AU pattern at the peak vs each emotion's prototype AUs (ASI knowledge base).

    m = min(1, ||AU|| / neutral_scale) is how much the face moved at all;
    score_e = m * cos(measured AU vector, prototype indicator of e) for the expressive classes;
    neutral's score = 1 - m. probabilities = softmax(score / temperature).

    The factor m matters: the geometric estimator reads a static clip (head motion only) as a
    small AU vector (L2 norm ~0.3-0.45 on warp clips of real photos, mostly AU17/AU9 dead-zone
    residue) whose *direction* is arbitrary, so an un-gated cosine could call a static clip
    "disgust". Gated, a clip that barely moves is judged neutral.
    """

    name = "au_geometric"
    abstains: frozenset[Emotion] = frozenset()

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
            raise UnjudgeableClip(f"au_geometric expert: {err} (first frame)") from None
        idx = peak_frame_indices(frames, self.n_peak)
        peak = aus[idx]
        peak = peak[~np.isnan(peak).any(axis=1)]   # frames without a face are NaN rows
        if len(peak) == 0:
            raise UnjudgeableClip("au_geometric expert: no face in any peak frame")
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
    abstains: frozenset[Emotion] = frozenset()

    def __init__(self, recognizer) -> None:
        self.recognizer = recognizer

    def predict(self, frames: np.ndarray) -> np.ndarray:
        return np.asarray(self.recognizer.predict_proba(frames[None]))[0]
