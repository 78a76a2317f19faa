"""``TI2VGenerator``: the Generator protocol over TI2VPipeline (registered as "ti2v")."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal, Sequence

from argen_rl.config import StrictModel
from argen_rl.generation.params import guidance_for
from argen_rl.generation.ti2v.components import load_components, model_fingerprint
from argen_rl.generation.ti2v.guidance import SemanticGuidance
from argen_rl.generation.ti2v.pipeline import TI2VPipeline
from argen_rl.types import GenRequest, Video


class TI2VConfig(StrictModel):
    """Settings of the ``ti2v`` generator (GenParams carry the per-request S, a, b, R, F, size, seed)."""

    model_dir: Path
    """Local ModelScope T2V folder in diffusers layout (unet/, vae/, text_encoder/, tokenizer/, scheduler/)."""
    device: str = "auto"
    """"auto" (cuda if available, else cpu), "cuda", "cuda:1", "cpu"."""
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    """"auto" = bf16 on GPUs that support it, else fp16 on GPU; fp32 on CPU."""
    window: int = 16
    """K: frames per UNet run (K-1 conditioning + 1 new); ModelScope T2V was trained on 16."""
    negative_prompt: str = ""
    """Prompt of the unconditional branch of CFG."""
    max_batch: int = 4
    """Most requests sampled together in one batch (requests with equal S, R, F, size)."""
    reencode_new_frame: bool = True
    """Enqueue the VAE re-encoding of each decoded new frame (pixel-queue semantics); False
    enqueues its latent directly."""
    fps: float = 8.0
    """Frame rate written into each Video."""
    semantic_guidance: bool = False
    """SynFER semantic guidance toward each request's emotion (needs argen_rl.face.fer)."""
    lambda_g: float = 0.5
    """Semantic guidance step size (SynFER Eq. 6)."""
    guidance_last_fraction: float = 0.3
    """Fraction of the last denoising steps with semantic guidance."""
    progress: bool = False
    """Show a progress bar over frames."""


class TI2VGenerator:
    """Image + prompt -> video with ModelScope T2V driven by the TI2V sampler."""

    def __init__(self, config: TI2VConfig | dict):
        self.config = config if isinstance(config, TI2VConfig) else TI2VConfig.model_validate(config)
        cfg = self.config
        self.pipeline = TI2VPipeline(load_components(cfg.model_dir, cfg.device, cfg.dtype),
                                     window=cfg.window, reencode_new_frame=cfg.reencode_new_frame)
        self.semantic_guidance = (SemanticGuidance(lambda_g=cfg.lambda_g, last_fraction=cfg.guidance_last_fraction)
                                  if cfg.semantic_guidance else None)
        sg = f"-sg{cfg.lambda_g:g}x{cfg.guidance_last_fraction:g}" if cfg.semantic_guidance else ""
        self.generator_id = (f"ti2v-{model_fingerprint(cfg.model_dir)}-K{cfg.window}-"
                             f"{str(self.pipeline.dtype).removeprefix('torch.')}{sg}")

    def generate(self, requests: Sequence[GenRequest]) -> list[Video]:
        """One video per request, same order; compatible requests are batched together."""
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            p = r.params
            groups.setdefault((p.steps, p.resample, p.frames, p.size), []).append(i)
        out: list[Video | None] = [None] * len(requests)
        for (steps, resample, frames, size), idx in groups.items():
            for start in range(0, len(idx), self.config.max_batch):
                chunk = idx[start:start + self.config.max_batch]
                reqs = [requests[i] for i in chunk]
                weights = [guidance_for(r.params) for r in reqs]
                res = self.pipeline(
                    [r.image for r in reqs], [r.prompt for r in reqs], guidance_weights=weights,
                    num_inference_steps=steps, resample=resample, num_frames=frames, size=size,
                    seeds=[r.params.seed for r in reqs], negative_prompt=self.config.negative_prompt,
                    semantic_guidance=self.semantic_guidance, targets=[r.emotion for r in reqs],
                    progress=self.config.progress)
                for j, (i, r) in enumerate(zip(chunk, reqs)):
                    meta = {"params": dataclasses.asdict(r.params), "generator_id": self.generator_id,
                            "guidance_weights": weights[j].tolist(), "context_id": r.context_id,
                            "prompt": r.prompt, "emotion": str(r.emotion)}
                    if res.guidance_losses:
                        meta["semantic_guidance_loss"] = [step[j] for step in res.guidance_losses]
                    out[i] = Video(frames=res.frames[j], fps=self.config.fps, meta=meta)
        return out  # type: ignore[return-value]
