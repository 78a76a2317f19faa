"""The held-out judge: facex 1.1.0's expression classifier, used only to MEASURE.

Why a judge at all: the generator, the rewards and the label calibrator each use models of
their own (AU fields, the FER2013 net, a recognizer, an AU reader). A clip that pleases those
models may still not show its emotion. The judge is a classifier that nothing in the project
trains, tunes, rewards or calibrates against, so what it says stays independent (shared
DESIGN.md §6). Use it in benchmarks, tests and the fixed evaluation of policies; never inside a
reward, a calibration expert or a generator.

Model: facex 1.1.0 (PyPI, MIT) ships ``facex/assets/model_optimized.tflite`` (a CNN with input
(1, 200, 200, 3) float32 and a 7-way softmax in the order anger, disgust, fear, happy, neutral,
sadness, surprised). ai-edge-litert runs it without tensorflow. facex is installed ``--no-deps``
as a development dependency (requirements/nodeps-dev.txt); we read its files by path and never
``import facex`` (its import needs tensorflow).

Preprocessing follows facex's own ``EmotionClassifier.predict``: OpenCV's Haar frontal-face
cascade on the grey frame (scale 1.1, 4 neighbours), the largest box cropped without margin,
``skimage.transform.resize`` of the grey crop to (200, 200, 3) (the grey channel repeated, values
in [0, 1]). Where Haar finds no face, the whole frame is used (generated clips are face-centred
crops) and the reading records it.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from argen_rl.data.wheel_faces import package_dir
from argen_rl.types import EMOTIONS7, Emotion

FACEX_CLASSES = ("anger", "disgust", "fear", "happy", "neutral", "sadness", "surprised")
_FACEX_TO_EMOTION = {"anger": Emotion.ANGRY, "disgust": Emotion.DISGUST, "fear": Emotion.FEAR,
                     "happy": Emotion.HAPPY, "neutral": Emotion.NEUTRAL, "sadness": Emotion.SAD,
                     "surprised": Emotion.SURPRISE}
# probs_emotions7 = probs_facex[:, FACEX_TO_EMOTIONS7]
FACEX_TO_EMOTIONS7 = tuple(FACEX_CLASSES.index(next(k for k, v in _FACEX_TO_EMOTION.items() if v is e))
                           for e in EMOTIONS7)
INPUT_SIZE = 200


def facex_model_path() -> Path:
    """``facex/assets/model_optimized.tflite`` of the installed facex wheel (clear error if absent)."""
    path = package_dir("facex") / "assets" / "model_optimized.tflite"
    if not path.is_file():
        raise FileNotFoundError(f"held-out judge weights not found: {path} "
                                "(pip install --no-deps facex==1.1.0)")
    return path


@functools.lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise FileNotFoundError(f"OpenCV Haar cascade not loadable: {path}")
    return cascade


@dataclass(frozen=True)
class ClipReading:
    """What the judge reads on one clip, relative to the label the clip is meant to show."""

    label: Emotion
    probs: np.ndarray          # (T, 7) EMOTIONS7 order
    apex: int                  # frame judged as the apex
    face_found: np.ndarray     # (T,) bool: Haar found a face (False: whole frame used)

    @property
    def top(self) -> list[Emotion]:
        return [EMOTIONS7[i] for i in self.probs.argmax(1)]

    @property
    def reads_at_apex(self) -> bool:
        """The label is the judge's top-1 class at the apex frame."""
        return self.top[self.apex] is self.label

    @property
    def reads_on_any_frame(self) -> bool:
        return any(t is self.label for t in self.top)

    @property
    def p_start(self) -> float:
        return float(self.probs[0, self.label.index])

    @property
    def p_apex(self) -> float:
        return float(self.probs[self.apex, self.label.index])

    def to_json(self) -> dict:
        return {"label": self.label.value, "apex": self.apex, "reads_at_apex": self.reads_at_apex,
                "p_start": round(self.p_start, 4), "p_apex": round(self.p_apex, 4),
                "top": [t.value for t in self.top], "face_found": self.face_found.tolist()}


class HeldOutJudge:
    """facex's classifier with facex's preprocessing; ``predict_proba`` speaks EMOTIONS7 order.

    Thread-safe (one interpreter, guarded); ~1-2 ms per frame on this CPU.
    """

    classes: tuple[Emotion, ...] = EMOTIONS7

    def __init__(self, model_path: Path | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.model_path = Path(model_path) if model_path else facex_model_path()
        self._interp = Interpreter(model_path=str(self.model_path))
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]["index"]
        self._out = self._interp.get_output_details()[0]["index"]
        self._lock = threading.Lock()
        self._order = np.asarray(FACEX_TO_EMOTIONS7)

    def face_crop(self, frame: np.ndarray) -> tuple[np.ndarray, bool]:
        """Grey face crop as facex takes it (largest Haar box, no margin); whole frame if none."""
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"frames must be uint8 HxWx3 RGB, got {frame.dtype} {frame.shape}")
        grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        boxes = _cascade().detectMultiScale(grey, 1.1, 4)
        if len(boxes) == 0:
            return grey, False
        x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
        return grey[y:y + h, x:x + w], True

    def _probs_facex(self, grey: np.ndarray) -> np.ndarray:
        from skimage.transform import resize

        x = resize(grey, (INPUT_SIZE, INPUT_SIZE, 3)).astype(np.float32)[None]   # [0, 1], facex's input_resize
        with self._lock:
            self._interp.set_tensor(self._in, x)
            self._interp.invoke()
            return self._interp.get_tensor(self._out)[0].copy()

    def predict_with_faces(self, frames: np.ndarray | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(N, 7) probabilities in EMOTIONS7 order and (N,) face-found flags."""
        probs, found = [], []
        for frame in frames:
            crop, ok = self.face_crop(np.asarray(frame))
            probs.append(self._probs_facex(crop)[self._order])
            found.append(ok)
        return (np.stack(probs).astype(np.float32) if probs else np.zeros((0, 7), np.float32),
                np.asarray(found, bool))

    def predict_proba(self, frames: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        return self.predict_with_faces(frames)[0]

    def read_clip(self, frames: np.ndarray, label: Emotion | str, apex: int | None = None) -> ClipReading:
        """Judge a clip (T,H,W,3) against ``label``. ``apex``: the frame to judge as the apex
        (the generator's peak-intensity frame when known); default: the frame whose judged
        distribution moved furthest (L1) from frame 0's."""
        label = Emotion.parse(label)
        probs, found = self.predict_with_faces(frames)
        if apex is None:
            apex = int(np.abs(probs - probs[:1]).sum(1).argmax())
        if not 0 <= apex < len(probs):
            raise ValueError(f"apex {apex} outside 0..{len(probs) - 1}")
        return ClipReading(label, probs, apex, found)


@functools.lru_cache(maxsize=1)
def held_out_judge() -> HeldOutJudge:
    """One judge per process."""
    return HeldOutJudge()
