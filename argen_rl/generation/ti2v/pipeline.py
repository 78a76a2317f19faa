"""TI2V sampler: a text-to-video diffusion model driven as image-to-video, zero-shot.

Written from the ARGen paper (§3.1, Eq. 1, 4, 5, 10-12) and our reading in shared DESIGN.md §3;
not derived from TI2V-Zero's (AGPL) code.

One video of F frames from a reference image x_ref and a prompt p (K = UNet window, 16 for
ModelScope T2V):

- frame 0 is the reference itself; its latent z_ref fills a queue Q of K-1 conditioning latents
  (repeat).
- each further frame f = 1..F-1 is one *sampling run* over K latent frames, of which only the
  last is new:
  * inversion init (Eq. 1): every one of the K frames starts from a queue latent noised to the
    first timestep t_S: the K-1 conditioning frames from Q with noise n_cond (drawn once per run),
    the new frame from Q's newest latent with its own noise.
  * at every reverse step t, before every UNet call, the first K-1 frames are *replaced* by
    sqrt(abar_t) Q + sqrt(1 - abar_t) n_cond (Eq. 5). One noise n_cond per run (not fresh per
    step) keeps the conditioning frames one consistent forward trajectory of Q.
  * CFG with the frame-wise weight of the frame being generated (Eq. 4 with w = w_f, Eq. 11-12):
    eps = eps_u + w_f (eps_c - eps_u), conditional and unconditional in ONE batched UNet forward.
  * S DDIM steps (eta = 0); with R resampling iterations (RePaint) each step is denoised R+1
    times, re-noising t_prev -> t in between with DDPM's forward kernel
    x_t = sqrt(abar_t / abar_prev) x_prev + sqrt(1 - abar_t / abar_prev) n (fresh n).
  * slide: the new frame's clean latent is decoded (it is an output frame), and that single frame
    is re-encoded with the VAE (posterior mean) and enqueued while the oldest is popped — the same
    queue a pixel-queue port gets by re-encoding all K-1 frames every run, at 1/(K-1) of the VAE
    cost. ``reencode_new_frame=False`` enqueues the latent directly (no VAE encode at all).

UNet calls per video: (F-1) * S * (R+1) batched forwards (+1 per guided step with semantic
guidance); every request in the batch advances together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from argen_rl.generation.ti2v.components import TI2VComponents
from argen_rl.generation.ti2v.guidance import SemanticGuidance
from argen_rl.types import Emotion


@dataclass
class StepState:
    """What the sampler feeds the UNet, handed to ``callback`` right before every UNet call."""

    run: int               # index of the video frame being generated, 1..F-1
    step: int              # DDIM step index 0..S-1
    resample: int          # resampling iteration 0..R
    timestep: int
    latents: torch.Tensor  # (B, 4, K, h, w) float32: exactly the UNet input (before dtype cast)
    queue: torch.Tensor    # (B, 4, K-1, h, w) clean conditioning latents of this run
    cond_noise: torch.Tensor  # (B, 4, K-1, h, w) the run's noise for the conditioning frames


@dataclass
class TI2VOutput:
    frames: np.ndarray           # (B, F, size, size, 3) uint8
    latents: torch.Tensor        # (B, 4, F, h, w) clean latents (frame 0 = the reference's)
    text_embeddings: torch.Tensor  # (B, 77, D) conditional embeddings at the end (semantic guidance moves them)
    guidance_losses: list[list[float]]  # per guided step: per-request classifier CE before the update
    unet_calls: int              # batched UNet forwards of the sampling loop


class TI2VPipeline:
    """Image + prompt -> video with a ModelScope-style T2V model (see module docstring)."""

    def __init__(self, components: TI2VComponents, window: int = 16, reencode_new_frame: bool = True):
        if window < 2:
            raise ValueError(f"window K must be >= 2 (K-1 conditioning frames + 1 new), got {window}")
        self.components = components
        self.window = window
        self.reencode_new_frame = reencode_new_frame
        self._classifier = None

    # ---- component helpers -------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.components.unet.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.components.unet.parameters()).dtype

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.components.vae.config.block_out_channels) - 1)

    @property
    def size_multiple(self) -> int:
        """Image side must be a multiple of this (VAE downsampling x UNet downsampling)."""
        return self.vae_scale_factor * 2 ** (len(self.components.unet.config.block_out_channels) - 1)

    def default_classifier(self):
        if self._classifier is None:
            from argen_rl.generation.ti2v.guidance import default_classifier

            self._classifier = default_classifier()
        return self._classifier

    def encode_prompt(self, prompts: Sequence[str]) -> torch.Tensor:
        """CLIP token embeddings (last hidden state), (B, 77, D) float32."""
        tok = self.components.tokenizer
        ids = tok(list(prompts), padding="max_length", max_length=tok.model_max_length,
                  truncation=True, return_tensors="pt").input_ids.to(self.device)
        return self.components.text_encoder(ids)[0].float()

    def encode_frames(self, pixels: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] -> scaled latents (N, 4, h, w) float32 (posterior mean)."""
        vae = self.components.vae
        dist = vae.encode(pixels.to(self.dtype)).latent_dist
        return dist.mean.float() * vae.config.scaling_factor

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """(N, 4, h, w) scaled latents -> (N, 3, H, W) float32 in ~[-1, 1]."""
        vae = self.components.vae
        return vae.decode((latents / vae.config.scaling_factor).to(self.dtype)).sample.float()

    def preprocess(self, image: np.ndarray, size: int) -> torch.Tensor:
        """uint8 HxWx3 -> centre-cropped square, resized, (3, size, size) float32 in [-1, 1]."""
        h, w = image.shape[:2]
        s = min(h, w)
        crop = image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        x = torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1)[None].float()
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return (x[0] / 127.5 - 1.0).clamp(-1, 1)

    @staticmethod
    def to_uint8(pixels: torch.Tensor) -> np.ndarray:
        """(..., 3, H, W) in [-1, 1] -> (..., H, W, 3) uint8."""
        x = ((pixels.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return x.movedim(-3, -1).cpu().numpy()

    def predict_noise(self, latents: torch.Tensor, t: torch.Tensor, cond: torch.Tensor,
                      uncond: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Guided noise eps_u + w (eps_c - eps_u) (ARGen Eq. 4), cond and uncond in ONE forward.
        latents (B, 4, K, h, w) float32; cond/uncond (B, 77, D); w (B,)."""
        x = torch.cat([latents, latents]).to(self.dtype)
        emb = torch.cat([uncond, cond]).to(self.dtype)
        eps = self.components.unet(x, t, encoder_hidden_states=emb).sample.float()
        eps_u, eps_c = eps.chunk(2)
        return eps_u + w.view(-1, 1, 1, 1, 1) * (eps_c - eps_u)

    # ---- input checks ----------------------------------------------------------------------
    def check_inputs(self, images, prompts, guidance_weights, num_inference_steps, resample,
                     num_frames, size, seeds, semantic_guidance, targets) -> None:
        if len(images) == 0:
            raise ValueError("no images given")
        if len(prompts) != len(images):
            raise ValueError(f"{len(images)} images but {len(prompts)} prompts")
        for i, im in enumerate(images):
            if not isinstance(im, np.ndarray) or im.dtype != np.uint8 or im.ndim != 3 or im.shape[2] != 3:
                desc = f"{im.dtype} {im.shape}" if isinstance(im, np.ndarray) else type(im).__name__
                raise ValueError(f"image {i} must be uint8 HxWx3 RGB, got {desc}")
            if min(im.shape[:2]) < 8:
                raise ValueError(f"image {i} is too small: {im.shape[:2]}")
        if not all(isinstance(p, str) for p in prompts):
            raise ValueError("prompts must be strings")
        if num_inference_steps < 1:
            raise ValueError(f"num_inference_steps must be >= 1, got {num_inference_steps}")
        n_train = self.components.scheduler.config.num_train_timesteps
        if num_inference_steps > n_train:
            raise ValueError(f"num_inference_steps {num_inference_steps} > {n_train} training timesteps")
        if resample < 0:
            raise ValueError(f"resample must be >= 0, got {resample}")
        if num_frames < self.window:
            raise ValueError(f"num_frames ({num_frames}) must be >= the UNet window K ({self.window})")
        m = self.size_multiple
        if size < m or size % m:
            raise ValueError(f"size must be a positive multiple of {m}, got {size}")
        if guidance_weights.shape != (len(images), num_frames):
            raise ValueError(f"guidance_weights must have shape (F,) or (B, F) = ({len(images)}, "
                             f"{num_frames}), got {tuple(guidance_weights.shape)}")
        if not np.all(np.isfinite(guidance_weights)):
            raise ValueError("guidance_weights must be finite")
        if len(seeds) != len(images):
            raise ValueError(f"{len(images)} images but {len(seeds)} seeds")
        if semantic_guidance is not None and semantic_guidance.target is None:
            if targets is None or len(targets) != len(images):
                raise ValueError("semantic guidance without a fixed target needs one target emotion per image")
            for e in targets:
                Emotion.parse(e).index  # unknown names and contempt fail here

    # ---- sampling ----------------------------------------------------------------------------
    def _randn(self, gens: list[torch.Generator], shape: tuple[int, ...]) -> torch.Tensor:
        """Per-request noise from per-request CPU generators (same seed -> same noise in any batch)."""
        return torch.stack([torch.randn(shape, generator=g) for g in gens]).to(self.device)

    def _abar(self, t: int) -> float:
        sched = self.components.scheduler
        return float(sched.alphas_cumprod[t]) if t >= 0 else float(sched.final_alpha_cumprod)

    def _sample_run(self, run, queue, cond, uncond, w, gens, resample, sg, target_idx, callback, counter, losses):
        """One sampling run (ARGen Eq. 5): returns the new frame's clean latent (B, 4, h, w) and
        the conditional embedding it ended with. Semantic guidance starts from the prompt's own
        embedding in every run (early steps unguided, as in SynFER)."""
        sched = self.components.scheduler
        timesteps = sched.timesteps
        step_gap = sched.config.num_train_timesteps // sched.num_inference_steps
        b, c, k1, h, wd = queue.shape
        cond_noise = self._randn(gens, (c, k1, h, wd))
        t0 = timesteps[:1].repeat(b)
        # inversion init (ARGen Eq. 1): all K frames = queue latents noised to the first timestep;
        # the new frame starts from the newest queue latent with its own noise
        x = torch.cat([sched.add_noise(queue, cond_noise, t0),
                       sched.add_noise(queue[:, :, -1:], self._randn(gens, (c, 1, h, wd)), t0)], dim=2)
        first_guided = sg.first_step(len(timesteps)) if sg is not None else len(timesteps)
        for i, t in enumerate(timesteps):
            t_batch = t.repeat(b)
            noised_queue = sched.add_noise(queue, cond_noise, t_batch)
            abar_t, abar_prev = self._abar(int(t)), self._abar(int(t) - step_gap)
            for r in range(resample + 1):
                x = torch.cat([noised_queue, x[:, :, -1:]], dim=2)  # replacement (ARGen Eq. 5)
                if r == 0 and i >= first_guided:
                    cond, loss = sg.update(self, x, t, cond, target_idx)   # SynFER Eq. 4-6
                    losses.append(loss.cpu().tolist())
                if callback is not None:
                    callback(StepState(run, i, r, int(t), x, queue, cond_noise))
                eps = self.predict_noise(x, t, cond, uncond, w)          # ARGen Eq. 4, w = w_f
                counter[0] += 1
                x = sched.step(eps, t, x, eta=0.0).prev_sample           # DDIM step t -> t_prev
                if r < resample:  # RePaint: re-noise t_prev -> t with a fresh noise
                    ratio = abar_t / abar_prev
                    x = math.sqrt(ratio) * x + math.sqrt(1 - ratio) * self._randn(gens, tuple(x.shape[1:]))
        return x[:, :, -1], cond

    @torch.no_grad()
    def __call__(
        self,
        image: np.ndarray | Sequence[np.ndarray],
        prompt: str | Sequence[str],
        guidance_weights: np.ndarray,
        num_inference_steps: int = 10,
        resample: int = 0,
        num_frames: int = 16,
        size: int = 256,
        seeds: int | Sequence[int] = 0,
        negative_prompt: str = "",
        semantic_guidance: SemanticGuidance | None = None,
        targets: Sequence[Emotion | str] | None = None,
        callback: Callable[[StepState], None] | None = None,
        progress: bool = False,
    ) -> TI2VOutput:
        """Generate one video per (image, prompt).

        guidance_weights: per-frame CFG weights w_1..w_F (ARGen Eq. 12; see
        ``argen_rl.generation.params.guidance_for``), shape (F,) or (B, F); frame f's weight is
        used while frame f is generated (frame 0 is the reference and needs none).
        seeds: one per request (an int is used for every request).
        targets: the emotion each request is guided toward when semantic guidance has no fixed
        target.
        """
        # 1. normalise and check inputs
        images = [image] if isinstance(image, np.ndarray) else list(image)
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        weights = np.asarray(guidance_weights, dtype=np.float64)
        if weights.ndim == 1:
            weights = np.broadcast_to(weights, (len(images), weights.shape[0]))
        seeds = [seeds] * len(images) if isinstance(seeds, int) else list(seeds)
        self.check_inputs(images, prompts, weights, num_inference_steps, resample, num_frames,
                          size, seeds, semantic_guidance, targets)
        b, dev = len(images), self.device
        gens = [torch.Generator().manual_seed(int(s)) for s in seeds]

        # 2. text embeddings: conditional per request, unconditional (negative prompt) shared
        cond = self.encode_prompt(prompts)
        uncond = self.encode_prompt([negative_prompt]).expand(b, -1, -1)
        target_idx = None
        if semantic_guidance is not None:
            names = [semantic_guidance.target] * b if semantic_guidance.target is not None else targets
            target_idx = torch.tensor([Emotion.parse(e).index for e in names], device=dev)

        # 3. reference frames -> latents; the queue starts as K-1 copies (repeat)
        ref_pixels = torch.stack([self.preprocess(im, size) for im in images]).to(dev)
        ref_latent = self.encode_frames(ref_pixels)                                   # (B, 4, h, w)
        queue = ref_latent[:, :, None].repeat(1, 1, self.window - 1, 1, 1)           # (B, 4, K-1, h, w)

        # 4. timesteps
        self.components.scheduler.set_timesteps(num_inference_steps, device=dev)

        # 5. autoregressive sampling runs, one new frame each (repeat-and-slide)
        new_latents, new_pixels, losses, counter = [], [], [], [0]
        runs = range(1, num_frames)
        if progress:
            from tqdm.auto import tqdm

            runs = tqdm(runs, desc="ti2v frames", unit="frame")
        for f in runs:
            w_f = torch.tensor(weights[:, f], dtype=torch.float32, device=dev)
            z, cond_end = self._sample_run(f, queue, cond, uncond, w_f, gens, resample, semantic_guidance,
                                           target_idx, callback, counter, losses)
            new_latents.append(z)
            if self.reencode_new_frame:  # decode the new frame, re-encode only it, slide
                pixels = self.decode_latents(z)
                new_pixels.append(pixels)
                z = self.encode_frames(pixels.clamp(-1, 1))
            queue = torch.cat([queue[:, :, 1:], z[:, :, None]], dim=2)

        # 6. decode whatever is not decoded yet (one batched VAE call per frame set)
        if not self.reencode_new_frame:
            stacked = torch.stack(new_latents, dim=1).flatten(0, 1)                   # (B*(F-1), 4, h, w)
            new_pixels = list(self.decode_latents(stacked).unflatten(0, (b, num_frames - 1)).unbind(1))

        # 7. postprocess: frame 0 is the (resized) reference itself
        video = torch.stack([ref_pixels] + new_pixels, dim=1)                        # (B, F, 3, H, W)
        latents = torch.stack([ref_latent] + new_latents, dim=2)
        return TI2VOutput(frames=self.to_uint8(video), latents=latents.cpu(), text_embeddings=cond_end.cpu(),
                          guidance_losses=losses, unet_calls=counter[0])
