"""Prompt writers behind one interface (ARGen §3.2, Table 5 ablation).

``PromptWriter.write_batch(jobs) -> list[str]`` turns each ``WriteJob`` (a neutral identity
image, its measured identity cues, a target emotion, the retrieved intensity-aware AU
descriptions and a sampling seed) into a prompt (AU tags may remain; the compliance filter
strips them). ``write(identity_image, emotion, retrieved)`` is the one-prompt shorthand.

- ``template``: deterministic composition of the identity cues and ONE movement per face region
  for the retrieved AUs (``AUKnowledgeBase.movements``: FACS's description of a combination, or
  the strongest AU's), so a text encoder never reads "raised and lowered" for one brow;
- ``qwen-vl``:  Qwen2.5-VL writes it from the image, emotion and descriptions (``qwen_vl.py``),
  a batch of jobs per ``generate`` call;
- ``fixed``:    "a person with a <emotion> expression" (Table 5's fixed-prompt baseline).

The generator's text encoder (CLIP) sees at most 77 tokens, BOS and EOS included; a template
prompt runs 40-80. ``fit_prompt`` makes the *generator prompt* that fits: the expression and
its AU descriptions first, the identity cues last (the ti2v generator sees the identity in the
reference image itself), cut at clause boundaries. The full prompt stays the context's
description (and the policy's text embedding); only the generator gets the fitted one.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from argen_rl.asi.cues import identity_cues
from argen_rl.asi.kb import AUKnowledgeBase, Candidate
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


@dataclass
class WriteJob:
    """What a writer needs for one prompt."""

    image: np.ndarray                 # the neutral identity image (uint8 HxWx3 RGB)
    emotion: Emotion
    retrieved: Sequence[Candidate]    # intensity-aware AU descriptions (empty: no RAG)
    cues: str                         # identity cues measured on the image (argen_rl.asi.cues)
    seed: int = 0                     # sampling seed (writers that sample: qwen-vl)


class PromptWriter(Protocol):
    name: str

    def write_batch(self, jobs: Sequence[WriteJob]) -> list[str]: ...

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str: ...


def _cues_of(image: np.ndarray, landmarks_fn: LandmarkFn | None) -> str:
    return identity_cues(image, landmarks_fn(image) if landmarks_fn is not None else None).text()


class FixedWriter:
    """Ablation baseline: no identity, no AU knowledge."""

    name = "fixed"

    def write_batch(self, jobs: Sequence[WriteJob]) -> list[str]:
        return [self.write(j.image, j.emotion, j.retrieved) for j in jobs]

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str:
        e = Emotion.parse(emotion)
        return f"a person with {_article(_ADJ[e])} {_ADJ[e]} expression"


class TemplateWriter:
    """Deterministic: '<Identity cues>. The face slowly changes from neutral to <emotion>: <m_1>; <m_2>; ...'

    The movements are the knowledge base's one-per-region descriptions (``kb.movements``) of the
    union of the retrieved candidates' AUs at their (shared, Eq. 8) intensities, top to bottom.
    """

    name = "template"

    def __init__(self, landmarks_fn: LandmarkFn | None = None, kb: AUKnowledgeBase | None = None):
        from argen_rl.asi.kb import load_kb

        self.landmarks_fn = landmarks_fn
        self.kb = kb if kb is not None else load_kb()

    def write_batch(self, jobs: Sequence[WriteJob]) -> list[str]:
        """Each job's prompt; its seed picks the intensity adverbs among their synonyms."""
        return [self.compose(j.cues, j.emotion, j.retrieved, np.random.default_rng(j.seed)) for j in jobs]

    def write(self, identity_image: np.ndarray, emotion: Emotion, retrieved: Sequence[Candidate]) -> str:
        return self.compose(_cues_of(identity_image, self.landmarks_fn), emotion, retrieved)

    def compose(self, cues: str, emotion: Emotion, retrieved: Sequence[Candidate],
                rng: np.random.Generator | None = None) -> str:
        """The prompt; canonical adverbs (the letter's first) unless a seeded ``rng`` varies them."""
        e = Emotion.parse(emotion)
        head = f"{cues[0].upper()}{cues[1:]}. The face slowly changes from neutral to {_NOUN[e]}"
        intensities: dict[int, float] = {}
        for c in retrieved:                 # one intensity vector per prompt (Eq. 8): the first wins
            for au, v in c.intensities.items():
                intensities.setdefault(int(au), float(v))
        parts = [m.text for m in self.kb.movements(intensities, rng)]
        return head + (": " + "; ".join(parts) if parts else "") + "."


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


# ---- the generator prompt: what fits the text encoder ---------------------------------------
CLIP_CONTEXT = 77
"""Positions of the CLIP text encoder (ModelScope T2V's OpenCLIP ViT-H), BOS and EOS included."""
GENERATOR_PROMPT_TOKENS = CLIP_CONTEXT - 2
"""Tokens a generator prompt may have (BOS and EOS take two positions)."""

TokenCounter = Callable[[str], int]
"""fn(text) -> number of CLIP tokens, BOS/EOS not counted."""

# CLIP's pre-tokenizer pieces: contractions, letter runs, single digits, punctuation runs
_PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+")


def estimate_clip_tokens(text: str) -> int:
    """A conservative CLIP token count without the vocabulary: one per pre-tokenizer piece, a
    letter run of n > 6 letters counted as 1 + ceil((n - 6) / 3). Against the real CLIP BPE
    (49,408 tokens) on 144 template prompts it was never below the true count and 15 % above on
    average (docs/ti2v.md); with the generator's tokenizer at hand, count exactly
    (``clip_token_counter``)."""
    n = 0
    for p in _PIECES.findall(text.lower()):
        n += 1 + math.ceil((len(p) - 6) / 3) if p[0].isalpha() and len(p) > 6 else 1
    return n


def clip_token_counter(tokenizer_dir: str | None = None) -> TokenCounter:
    """Exact counts with the CLIP tokenizer in ``tokenizer_dir`` (e.g. the ModelScope T2V
    folder's ``tokenizer/``); the conservative estimate when None."""
    if tokenizer_dir is None:
        return estimate_clip_tokens
    from transformers import CLIPTokenizer

    tok = CLIPTokenizer.from_pretrained(tokenizer_dir)
    return lambda text: len(tok(text, truncation=False).input_ids) - 2


def fit_prompt(prompt: str, count: TokenCounter, max_tokens: int = GENERATOR_PROMPT_TOKENS,
               last: str | None = None) -> str:
    """``prompt`` itself when it fits in ``max_tokens``; else its sentences with the one starting
    with ``last`` (the identity cues) moved to the end, cut after the last whole clause
    (at ". ", "; ", ": ", ", ") that fits, and closed with a full stop. A first clause longer
    than the limit is cut at a word."""
    prompt = " ".join(prompt.split())
    if count(prompt) <= max_tokens:
        return prompt
    sentences = [x for x in re.split(r"(?<=[.!?])\s+", prompt) if x]
    if last:
        key = last.strip().rstrip(".").lower()
        sentences.sort(key=lambda x: x.lower().startswith(key))    # stable: cues last, rest in order
    pieces = [p for x in sentences for p in re.split(r"(?<=[.;:,])\s+", x) if p]

    def close(parts: list[str]) -> str:
        return " ".join(parts).rstrip(" ,;:.") + "."

    kept: list[str] = []
    for p in pieces:
        if count(close(kept + [p])) > max_tokens:
            break
        kept.append(p)
    if kept:
        return close(kept)
    words = pieces[0].split()
    while len(words) > 1 and count(close([" ".join(words)])) > max_tokens:
        words.pop()
    return close([" ".join(words)])


WRITERS = ("template", "qwen-vl", "fixed")


def make_writer(name: str, landmarks_fn: LandmarkFn | None = None, qwen_dir: str | None = None,
                max_new_tokens: int = 256, temperature: float = 0.8, top_p: float = 0.9,
                max_pixels: int = 448 * 448, seed: int = 0, kb: AUKnowledgeBase | None = None) -> PromptWriter:
    """Build a writer by name ('template' | 'qwen-vl' | 'fixed'); ``seed`` is the sampling seed of
    ``write()`` (``write_batch`` takes each job's own)."""
    if name == "template":
        return TemplateWriter(landmarks_fn, kb)
    if name == "fixed":
        return FixedWriter()
    if name == "qwen-vl":
        from argen_rl.asi.qwen_vl import QwenVLWriter

        if not qwen_dir:
            raise ValueError("writer 'qwen-vl' needs writer.qwen_dir: a local Qwen2.5-VL directory "
                             "(e.g. a download of Qwen/Qwen2.5-VL-7B-Instruct)")
        return QwenVLWriter(qwen_dir, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                            max_pixels=max_pixels, seed=seed, landmarks_fn=landmarks_fn)
    raise ValueError(f"unknown prompt writer {name!r}; expected one of {', '.join(WRITERS)}")
