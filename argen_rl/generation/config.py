"""Generation settings shared by every stage that asks a generator for clips (env, augment).

The policy (or a fixed action) supplies (S, a, b) and the caller a seed; everything else a
``GenParams`` needs comes from here, and ``request`` turns a context into a ``GenRequest``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, field_validator

from argen_rl.config import StrictModel
from argen_rl.paths import shorten
from argen_rl.types import Context, Emotion, GenParams, GenRequest


class GenerationConfig(StrictModel):
    generator: str = "warp"
    """Registered generator name (argen_rl.generation.registry): "warp" (CPU) or "ti2v" (GPU)."""
    generator_config: dict[str, Any] = Field(default_factory=dict)
    """Passed to make_generator(name, config) unchanged (e.g. the ti2v weights folder)."""
    frames: int = 16
    """F: frames per generated clip."""
    size: int = 256
    """Square output side in pixels (the paper's 256)."""
    w_min: float = 7.5
    """Lower guidance weight of the Eq. 12 curve."""
    w_max: float = 10.5
    """Upper guidance weight of the Eq. 12 curve."""
    resample: int = Field(0, ge=0)
    """R: resampling iterations per denoising step (ti2v; RePaint-style, TI2V-Zero's demo uses
    4); each step costs R+1 UNet calls. The warp generator ignores it."""
    clips_per_call: int = Field(4, ge=1)
    """Clips a caller that makes them one by one (augmentation) sends to ``generate`` at once,
    so the ti2v generator batches them (envs send a whole candidate pool per call)."""

    @field_validator("generator")
    @classmethod
    def _known_generator(cls, name: str) -> str:
        from argen_rl.generation.registry import GENERATORS

        if name not in GENERATORS:
            raise ValueError(f"unknown generator {shorten(name)}; registered: {', '.join(sorted(GENERATORS))}")
        return name

    def params(self, steps: int, a: float, b: float, seed: int) -> GenParams:
        return GenParams(steps=steps, a=a, b=b, w_min=self.w_min, w_max=self.w_max, resample=self.resample,
                         frames=self.frames, size=self.size, seed=seed)

    def request(self, ctx: Context, image: np.ndarray, steps: int, a: float, b: float, seed: int,
                emotion: Emotion | None = None) -> GenRequest:
        """The request for one clip of ``ctx`` (target AUs = its intensities, else its AU set at 1;
        prompt = the context's generator prompt, which fits the text encoder, else its prompt)."""
        target = ctx.intensities or {int(au): 1.0 for au in ctx.aus}
        return GenRequest(image=image, prompt=ctx.generator_prompt or ctx.prompt, emotion=emotion or ctx.emotion,
                          target_aus=dict(target), params=self.params(steps, a, b, seed),
                          context_id=ctx.context_id)
