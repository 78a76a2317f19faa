"""``TI2VGenerator``: the Generator protocol over TI2VPipeline (registered as "ti2v")."""
from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
import torch

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
    """"auto" = bf16 on GPUs that support it, else fp16 on GPU; fp32 on CPU. Prefer bf16 on a
    GPU: semantic guidance backpropagates through the UNet, and fp16 gradients underflow."""
    window: int = 16
    """K: frames per UNet run (K-1 conditioning + 1 new); ModelScope T2V was trained on 16."""
    negative_prompt: str = ""
    """Prompt of the unconditional branch of CFG."""
    max_batch: int | Literal["auto"] = "auto"
    """Most requests sampled together in one batch (any S and R; equal F and size). "auto" = on
    a GPU, as many as fit in 80 % of the free memory by a probe of one request's peak (capped at
    ``max_batch_cap``); on CPU, ``max_batch_cap``."""
    max_batch_cap: int = 16
    """Upper bound of ``max_batch: auto``."""
    pad_finished: bool = False
    """Keep requests that need fewer UNet calls (smaller S or R) in the batch as masked padding
    until the longest is done (one batch shape per run, for CUDA graphs). False = they leave
    the UNet batch when done, so a mixed pool costs the sum of its requests' work."""
    compile: bool = False
    """Wrap the UNet's sampling forward in torch.compile (first batch of each shape compiles)."""
    cuda_graphs: bool = False
    """With ``compile``: CUDA graphs (torch.compile mode "reduce-overhead"); batches keep a
    fixed shape (requests with fewer steps are padded), so each batch shape records once."""
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
                                     window=cfg.window, reencode_new_frame=cfg.reencode_new_frame,
                                     compile=cfg.compile, cuda_graphs=cfg.cuda_graphs,
                                     pad_finished=cfg.pad_finished)
        self.semantic_guidance = (SemanticGuidance(lambda_g=cfg.lambda_g, last_fraction=cfg.guidance_last_fraction)
                                  if cfg.semantic_guidance else None)
        if self.semantic_guidance is not None and self.pipeline.dtype == torch.float16:
            warnings.warn("semantic guidance in float16: its gradients through the UNet can underflow; "
                          "use dtype bfloat16 (or float32)", stacklevel=2)
        sg = f"-sg{cfg.lambda_g:g}x{cfg.guidance_last_fraction:g}" if cfg.semantic_guidance else ""
        self.generator_id = (f"ti2v-{model_fingerprint(cfg.model_dir)}-K{cfg.window}-"
                             f"{str(self.pipeline.dtype).removeprefix('torch.')}{sg}")
        self._auto_batch: dict[tuple[int, int], int] = {}

    def max_batch(self, frames: int, size: int) -> int:
        """Requests per batch: the config's number, or "auto" (see TI2VConfig.max_batch)."""
        cfg = self.config
        if cfg.max_batch != "auto":
            return cfg.max_batch
        if self.pipeline.device.type != "cuda":
            return cfg.max_batch_cap
        if (frames, size) not in self._auto_batch:
            self._auto_batch[(frames, size)] = probe_max_batch(self.pipeline, size, cfg.max_batch_cap,
                                                               guided=self.semantic_guidance is not None)
        return self._auto_batch[(frames, size)]

    def generate(self, requests: Sequence[GenRequest]) -> list[Video]:
        """One video per request, same order. Requests with the same F and size run as one batch
        (up to ``max_batch``) whatever their S and R: they share every UNet call."""
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.params.frames, r.params.size), []).append(i)
        out: list[Video | None] = [None] * len(requests)
        for (frames, size), idx in groups.items():
            # longest first, so a chunk holds requests of similar length (less padding)
            idx = sorted(idx, key=lambda i: -requests[i].params.steps * (requests[i].params.resample + 1))
            n = self.max_batch(frames, size)
            for start in range(0, len(idx), n):
                chunk = idx[start:start + n]
                for i, video in zip(chunk, self._generate_batch([requests[i] for i in chunk], frames, size)):
                    out[i] = video
        return out  # type: ignore[return-value]

    def _generate_batch(self, reqs: list[GenRequest], frames: int, size: int) -> list[Video]:
        weights = [guidance_for(r.params) for r in reqs]
        res = self.pipeline(
            [r.image for r in reqs], [r.prompt for r in reqs], guidance_weights=np.stack(weights),
            num_inference_steps=[r.params.steps for r in reqs], resample=[r.params.resample for r in reqs],
            num_frames=frames, size=size, seeds=[r.params.seed for r in reqs],
            negative_prompt=self.config.negative_prompt, semantic_guidance=self.semantic_guidance,
            targets=[r.emotion for r in reqs], progress=self.config.progress)
        videos = []
        for j, r in enumerate(reqs):
            meta = {"params": dataclasses.asdict(r.params), "generator_id": self.generator_id,
                    "guidance_weights": weights[j].tolist(), "context_id": r.context_id,
                    "prompt": r.prompt, "emotion": str(r.emotion), "prompt_tokens": res.prompt_tokens[j],
                    "prompt_truncated": res.prompt_tokens[j] > self.pipeline.max_prompt_tokens,
                    "batch_size": len(reqs), "batch_unet_calls": res.unet_calls}
            if res.guidance_losses[j]:
                meta["semantic_guidance_loss"] = res.guidance_losses[j]
            videos.append(Video(frames=res.frames[j], fps=self.config.fps, meta=meta))
        return videos


def probe_max_batch(pipe: TI2VPipeline, size: int, cap: int, guided: bool, budget: float = 0.8) -> int:
    """Largest batch that fits in ``budget`` of the free GPU memory, from one request's
    measured peak (one CFG forward, plus a backward when guided) above the current use."""
    dev = pipe.device
    h = size // pipe.vae_scale_factor
    d = pipe.components.text_encoder.config.hidden_size
    torch.cuda.synchronize(dev)
    torch.cuda.reset_peak_memory_stats(dev)
    base = torch.cuda.memory_allocated(dev)
    x = torch.zeros(1, 4, pipe.window, h, h, device=dev)
    emb = torch.zeros(1, pipe.max_prompt_tokens, d, device=dev)
    t = torch.tensor([500], device=dev)
    with torch.no_grad():
        pipe.predict_noise(x, t, emb, emb, torch.ones(1, device=dev))
    if guided:
        e = emb.clone().requires_grad_(True)
        with torch.enable_grad():
            out = pipe.components.unet(x.to(pipe.dtype), t, encoder_hidden_states=e.to(pipe.dtype)).sample
            out.float().square().mean().backward()
    torch.cuda.synchronize(dev)
    per_request = max(torch.cuda.max_memory_allocated(dev) - base, 1)
    free, _ = torch.cuda.mem_get_info(dev)
    return int(max(1, min(cap, budget * free // per_request)))
