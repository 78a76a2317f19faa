"""Prompt writers behind one interface (ARGen §3.2, Table 5 ablation).

``PromptWriter.write(identity_image, emotion, retrieved) -> str`` turns a neutral identity image,
a target emotion and the retrieved intensity-aware AU descriptions into a prompt (AU tags may
remain; the compliance filter strips them):

- ``template``: deterministic composition of measured identity cues and the descriptions;
- ``qwen-vl``:  Qwen2.5-VL writes it from the image, emotion and descriptions (``qwen_vl.py``);
- ``fixed``:    "a person with a <emotion> expression" (Table 5's fixed-prompt baseline).
"""
from __future__ import annotations

from typing import Callable, Protocol, Sequence

import numpy as np

from argen_rl.asi.cues import identity_cues
from argen_rl.asi.kb import Candidate
from argen_rl.types import Emotion

LandmarkFn = Callable[[np.ndarray], "np.ndarray | None"]

_NOUN = {
    Emotion.HAPPY: "happiness", Emotion.SAD: "sadness", Emotion.NEUTRAL: "a neutral expression",
    Emotion.ANGRY: "anger", Emotion.SURPRISE: "surprise", Emotion.DISGUST: "disgust",
    Emotion.FEAR: "fear", Emotion.CONTEMPT: "contempt",
}
_ADJ = {
    Emotion.HAPPY: "happy", Emotion.SAD: "sad", Emotion.NEUTRAL: "neutral", Emotion.ANGRY: "angry",
    Emotion.SURPRISE: "surprised", Emotion.DISGUST: "disgusted", Emotion.FEAR: "fearful",
    Emotion.CONTEMPT: "contemptuous",
}


class PromptWriter(Protocol):
    name: str

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str: ...


class FixedWriter:
    """Ablation baseline: no identity, no AU knowledge."""

    name = "fixed"

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str:
        e = Emotion.parse(emotion)
        return f"a person with {_article(_ADJ[e])} {_ADJ[e]} expression"


class TemplateWriter:
    """Deterministic: '<identity cues>. The face changes from neutral to <emotion>: <d_1>; <d_2>.'

    A retrieved description whose AUs are all covered by earlier ones is left out.
    """

    name = "template"

    def __init__(self, landmarks_fn: LandmarkFn | None = None):
        self.landmarks_fn = landmarks_fn

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str:
        e = Emotion.parse(emotion)
        lm = self.landmarks_fn(identity_image) if self.landmarks_fn is not None else None
        cues = identity_cues(identity_image, lm).text()
        head = f"{cues[0].upper()}{cues[1:]}. The face slowly changes from neutral to {_NOUN[e]}"
        parts, covered = [], set()
        for c in retrieved:                 # a candidate adding no new AU would only repeat itself
            if not set(c.aus) <= covered:
                parts.append(c.description)
                covered.update(c.aus)
        return head + (": " + "; ".join(parts) if parts else "") + "."


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


WRITERS = ("template", "qwen-vl", "fixed")


def make_writer(name: str, landmarks_fn: LandmarkFn | None = None, qwen_dir: str | None = None,
                max_new_tokens: int = 256, temperature: float = 0.8, top_p: float = 0.9,
                max_pixels: int = 448 * 448, seed: int = 0) -> PromptWriter:
    """Build a writer by name ('template' | 'qwen-vl' | 'fixed')."""
    if name == "template":
        return TemplateWriter(landmarks_fn)
    if name == "fixed":
        return FixedWriter()
    if name == "qwen-vl":
        from argen_rl.asi.qwen_vl import QwenVLWriter

        if not qwen_dir:
            raise ValueError("writer 'qwen-vl' needs writer.qwen_dir: a local Qwen2.5-VL directory "
                             "(e.g. a download of Qwen/Qwen2.5-VL-7B-Instruct)")
        return QwenVLWriter(qwen_dir, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                            max_pixels=max_pixels, seed=seed)
    raise ValueError(f"unknown prompt writer {name!r}; expected one of {', '.join(WRITERS)}")
