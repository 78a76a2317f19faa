"""Key types shared by every stage (see shared DESIGN.md §2).

Everything that crosses a stage boundary is one of these plain dataclasses, so a stage can be
rerun alone from the files the previous one wrote.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class Emotion(str, enum.Enum):
    """Canonical expression classes.

    The member order is DFEW's label order (label 1..7 = happy, sad, neutral, angry, surprise,
    disgust, fear), so ``Emotion.from_index(dfew_label - 1)`` maps DFEW codes. ``CONTEMPT``
    exists only for CK+ and is excluded from the 7-class tasks (see ``EMOTIONS7``).
    """

    HAPPY = "happy"
    SAD = "sad"
    NEUTRAL = "neutral"
    ANGRY = "angry"
    SURPRISE = "surprise"
    DISGUST = "disgust"
    FEAR = "fear"
    CONTEMPT = "contempt"

    @property
    def index(self) -> int:
        """Position in ``EMOTIONS7`` (the class index every 7-class model uses)."""
        if self is Emotion.CONTEMPT:
            raise ValueError("contempt is not one of the 7 canonical classes")
        return EMOTIONS7.index(self)

    @classmethod
    def from_index(cls, i: int) -> "Emotion":
        if not 0 <= i < len(EMOTIONS7):
            raise ValueError(f"emotion index {i} outside 0..{len(EMOTIONS7) - 1}")
        return EMOTIONS7[i]

    @classmethod
    def parse(cls, name: "str | Emotion") -> "Emotion":
        """Case-insensitive name -> Emotion, accepting common aliases; clear error otherwise."""
        if isinstance(name, Emotion):
            return name
        key = str(name).strip().lower()
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            from argen_rl.paths import shorten   # never echo more than a few dozen characters

            valid = ", ".join(e.value for e in cls)
            raise ValueError(f"unknown emotion {shorten(name)}; expected one of: {valid}") from None

    def __str__(self) -> str:  # prints as "surprise", not "Emotion.SURPRISE"
        return self.value


_ALIASES = {
    "happiness": "happy", "sadness": "sad", "anger": "angry", "surprised": "surprise",
    "disgusted": "disgust", "fearful": "fear", "scared": "fear", "neutrality": "neutral",
}

EMOTIONS7: tuple[Emotion, ...] = (
    Emotion.HAPPY, Emotion.SAD, Emotion.NEUTRAL, Emotion.ANGRY,
    Emotion.SURPRISE, Emotion.DISGUST, Emotion.FEAR,
)


@dataclass
class Clip:
    """One labelled source video: a list of frame files or a video file."""

    clip_id: str
    emotion: Emotion
    frames: list[Path] | None = None
    video_path: Path | None = None
    subject: str | None = None
    fold: int | None = None      # DFEW set_1..5 -> 1..5
    split: str | None = None     # "train" | "test" | None
    dataset: str = "folder"

    def __post_init__(self) -> None:
        if (self.frames is None) == (self.video_path is None):
            raise ValueError(f"clip {self.clip_id}: give exactly one of frames / video_path")


@dataclass
class Context:
    """One generation context: a neutral identity image and a target emotion with its prompt."""

    context_id: str
    identity_image: Path | None          # None: an image never stored (a Serve upload)
    emotion: Emotion
    prompt: str
    aus: list[int]
    intensities: dict[int, float]      # AU number -> intensity on FACS 0..5 scale
    text_emb: np.ndarray | None = None  # float32 (D_t,)
    image_emb: np.ndarray | None = None  # float32 (D_i,)
    source_clip: str | None = None
    subject: str | None = None
    writer: str = "template"
    generator_prompt: str | None = None  # what the generator's text encoder sees (<= 77 CLIP
    #                                      tokens; argen_rl.asi.writers.fit_prompt); None = prompt


@dataclass(frozen=True)
class GenParams:
    """Generation parameters chosen (partly) by the policy. Names follow ARGen Eq. 10-12."""

    steps: int = 10          # S: denoising steps (ti2v) / keyframes (warp)
    a: float = 2.0           # Beta-like guidance curve shape (ARGen Eq. 12)
    b: float = 2.0
    w_min: float = 7.5       # guidance range; straddles TI2V-Zero's constant 9.0
    w_max: float = 10.5
    resample: int = 0        # R: RePaint-style resampling iterations per step
    frames: int = 16         # F
    size: int = 256          # output side length (square)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.a <= 0 or self.b <= 0:
            raise ValueError(f"curve parameters must be > 0, got a={self.a}, b={self.b}")
        if self.w_max < self.w_min:
            raise ValueError(f"w_max ({self.w_max}) < w_min ({self.w_min})")
        if self.frames < 2:
            raise ValueError(f"frames must be >= 2, got {self.frames}")
        if self.resample < 0:
            raise ValueError(f"resample must be >= 0, got {self.resample}")


@dataclass
class GenRequest:
    """What a generator is asked to make: identity image + prompt + target emotion/AUs."""

    image: np.ndarray                  # uint8 HxWx3 RGB
    prompt: str
    emotion: Emotion
    target_aus: dict[int, float]       # AU number -> intensity 0..5
    params: GenParams
    context_id: str = ""


@dataclass
class Video:
    """A generated or loaded video: uint8 TxHxWx3 RGB frames."""

    frames: np.ndarray
    fps: float = 8.0
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        f = self.frames
        if f.dtype != np.uint8 or f.ndim != 4 or f.shape[-1] != 3:
            raise ValueError(f"Video frames must be uint8 TxHxWx3, got {f.dtype} {f.shape}")
