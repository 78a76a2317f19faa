"""Identity cues a prompt writer can state about a neutral identity image.

Measured, not guessed: face shape from the face-mesh oval (height/width and jaw/cheek ratios),
head turn from the nose tip's offset between the eyes, lighting from the face region's mean,
contrast and left/right balance, colour vs. greyscale from saturation, framing from the face's
share of the image. Only appearance words: nothing here may describe an action unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# MediaPipe face-mesh indices (canonical 468/478-point topology)
_FOREHEAD, _CHIN = 10, 152
_CHEEK_R, _CHEEK_L = 234, 454
_JAW_R, _JAW_L = 136, 365       # lower jaw, between the gonial angle and the chin
_EYE_R_OUT, _EYE_L_OUT = 33, 263
_NOSE_TIP = 1


FACE_SHAPES = ("oval", "round", "long", "square")
POSES = ("facing the camera", "turned towards the left of the frame", "turned towards the right of the frame")
LIGHTING_PHRASES = {
    "even": "in even lighting",
    "dim": "in dim lighting",
    "bright": "in bright lighting",
    "soft": "in soft, low-contrast lighting",
    "left": "lit from the left of the frame",
    "right": "lit from the right of the frame",
}
"""Lighting kind -> the phrase a prompt states (each a complete phrase: no "... lighting lighting")."""
COLOURS = ("colour", "black-and-white")
FRAMINGS = ("close-up", "medium shot", "wide shot")


@dataclass(frozen=True)
class IdentityCues:
    face_shape: str | None     # FACE_SHAPES or None (no landmarks)
    pose: str                  # POSES
    lighting: str              # a key of LIGHTING_PHRASES
    colour: str                # COLOURS
    framing: str               # FRAMINGS

    def text(self) -> str:
        """e.g. 'a black-and-white close-up of a person with an oval face, facing the camera, lit
        from the left of the frame'."""
        face = f"a person with {_article(self.face_shape)} {self.face_shape} face" if self.face_shape else "a person"
        shot = f"black-and-white {self.framing}" if self.colour == "black-and-white" else self.framing
        return f"{_article(shot)} {shot} of {face}, {self.pose}, {LIGHTING_PHRASES[self.lighting]}"


def _article(word: str | None) -> str:
    return "an" if word and word[0] in "aeiou" else "a"


def identity_cues(image: np.ndarray, landmarks: np.ndarray | None) -> IdentityCues:
    """Cues for one identity image (uint8 HxWx3) with its (478, 2) landmarks or None."""
    h, w = image.shape[:2]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    shape, pose = None, "facing the camera"
    x0, y0, x1, y1 = 0, 0, w, h
    if landmarks is not None and np.isfinite(landmarks).all():
        lm = landmarks
        width = np.linalg.norm(lm[_CHEEK_L] - lm[_CHEEK_R])
        height = np.linalg.norm(lm[_CHIN] - lm[_FOREHEAD])
        jaw = np.linalg.norm(lm[_JAW_L] - lm[_JAW_R])
        ratio = height / max(width, 1e-6)
        # forehead-top (10) to chin (152) over cheek width is ~1.1 on ordinary faces (measured 1.11
        # grace_hopper, 1.16 astronaut); lower-jaw / cheek width ~0.74 on both
        if jaw / max(width, 1e-6) > 0.82:
            shape = "square"
        elif ratio > 1.25:
            shape = "long"
        elif ratio < 1.02:
            shape = "round"
        else:
            shape = "oval"
        eye_mid = (lm[_EYE_R_OUT] + lm[_EYE_L_OUT]) / 2
        eye_d = np.linalg.norm(lm[_EYE_L_OUT] - lm[_EYE_R_OUT])
        turn = (lm[_NOSE_TIP, 0] - eye_mid[0]) / max(eye_d, 1e-6)
        if turn > 0.12:
            pose = "turned towards the right of the frame"
        elif turn < -0.12:
            pose = "turned towards the left of the frame"
        x0, y0 = np.clip(lm.min(0).astype(int), 0, [w - 1, h - 1])
        x1, y1 = np.clip(lm.max(0).astype(int) + 1, 1, [w, h])
    face = gray[y0:y1, x0:x1]
    mean, std = float(face.mean()), float(face.std())
    mid = face.shape[1] // 2
    left, right = (float(face[:, :mid].mean()), float(face[:, mid:].mean())) if mid else (mean, mean)
    if abs(left - right) > 0.18 * max(mean, 1.0):
        lighting = "left" if left > right else "right"
    elif mean < 70:
        lighting = "dim"
    elif mean > 185:
        lighting = "bright"
    elif std < 25:
        lighting = "soft"
    else:
        lighting = "even"
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    colour = "black-and-white" if float(hsv[..., 1].mean()) < 12 else "colour"
    share = (x1 - x0) / float(w)          # face width / image width
    framing = "close-up" if share > 0.3 else ("medium shot" if share > 0.12 else "wide shot")
    return IdentityCues(shape, pose, lighting, colour, framing)
