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
guidance).

Batching (one batch = any requests with the same F and size): requests may differ in S and R.
Each request has its own DDIM schedule, and the batch advances in *ticks*: at tick k every
request makes its own k-th UNet call (its step k // (R+1), resample k % (R+1)), so the UNet gets
a (2B,) timestep vector and every update (replacement, DDIM, re-noise) is elementwise with
per-request alphas. A run takes max_i S_i (R_i+1) batched forwards. A request with fewer calls
is done early: by default it leaves the UNet batch (the call runs on the active rows only, so
the compute is the sum of the requests' own work, not B x the longest); with
``pad_finished=True`` it stays in as padding with its update masked out (one batch shape for
the whole run, for CUDA graphs).

Nothing inside the tick loop waits for the host: the per-tick schedule (timesteps, alphas,
masks, noise indices) is built once per batch and uploaded once; each run's noise is drawn on
the device up front from per-request seeded generators (same seed -> same video in any batch);
guidance losses stay on the device until the end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from argen_rl.generation.ti2v.components import TI2VComponents
from argen_rl.generation.ti2v.guidance import SemanticGuidance
from argen_rl.types import Emotion


class PromptTruncatedWarning(UserWarning):
    """A prompt was longer than the text encoder's context (77 CLIP tokens) and was cut."""


@dataclass
class StepState:
    """What the sampler feeds the UNet, handed to ``callback`` right before every UNet call.

    Per-request values are lists (requests of one batch may differ in S and R); ``step``,
    ``resample`` and ``timestep`` give the value shared by every active request."""

    run: int               # index of the video frame being generated, 1..F-1
    tick: int              # index of this batched UNet call within the run
    steps: list[int]       # per request: DDIM step index 0..S_i-1
    resamples: list[int]   # per request: resampling iteration 0..R_i
    timesteps: list[int]   # per request: the timestep fed to the UNet
    active: list[bool]     # per request: False = padding (the request is already done)
    latents: torch.Tensor  # (B, 4, K, h, w) float32: exactly the UNet input (before dtype cast)
    queue: torch.Tensor    # (B, 4, K-1, h, w) clean conditioning latents of this run
    cond_noise: torch.Tensor  # (B, 4, K-1, h, w) the run's noise for the conditioning frames

    def _common(self, values: list[int]) -> int:
        live = {v for v, a in zip(values, self.active) if a}
        if len(live) != 1:
            raise ValueError(f"requests differ here ({sorted(live)}): read the per-request lists")
        return live.pop()

    @property
    def step(self) -> int:
        return self._common(self.steps)

    @property
    def resample(self) -> int:
        return self._common(self.resamples)

    @property
    def timestep(self) -> int:
        return self._common(self.timesteps)


@dataclass
class TI2VOutput:
    frames: np.ndarray           # (B, F, size, size, 3) uint8
    latents: torch.Tensor        # (B, 4, F, h, w) clean latents (frame 0 = the reference's)
    text_embeddings: torch.Tensor  # (B, 77, D) conditional embeddings at the end (semantic guidance moves them)
    guidance_losses: list[list[float]]  # per request: classifier CE before each of its guided updates
    unet_calls: int              # batched UNet forwards of the sampling loop
    prompt_tokens: list[int]     # per request: CLIP tokens of its prompt (BOS/EOS included) before any cut


@dataclass
class TickPlan:
    """The per-tick schedule of one batch (see the module docstring), built on the host once.

    Device tensors are (T, B); ``host`` holds the same tables as numpy for branch decisions and
    callbacks, so the sampling loop never reads a device value back."""

    ticks: int
    t: torch.Tensor            # long: timestep fed at tick k (padding repeats the last one)
    abar_t: torch.Tensor       # float32: abar of t
    abar_prev: torch.Tensor    # float32: abar of the DDIM step's target t - 1000/S
    active: torch.Tensor       # bool: a real call of request i (False = padding)
    renoise: torch.Tensor      # bool: re-noise t_prev -> t after this call (resample r < R_i)
    noise_idx: torch.Tensor    # long: which of request i's pre-drawn re-noise draws to use
    guide: torch.Tensor        # bool: semantic-guidance update before this call
    n_renoise: list[int]       # per request: S_i * R_i re-noise draws per run
    host: dict[str, np.ndarray]
    _rows: dict[tuple[int, ...], torch.Tensor] = field(default_factory=dict)

    def rows(self, name: str, k: int) -> tuple[np.ndarray, torch.Tensor | None]:
        """Rows (requests) where table ``name`` is true at tick k: host array, and the device
        index tensor (None when it is every row). Each row pattern is uploaded once."""
        host = np.flatnonzero(self.host[name][k])
        if len(host) == self.host[name].shape[1]:
            return host, None
        key = tuple(host.tolist())
        if key not in self._rows:
            self._rows[key] = torch.as_tensor(host, dtype=torch.long).to(self.t.device)
        return host, self._rows[key]

    @classmethod
    def build(cls, scheduler, steps: Sequence[int], resamples: Sequence[int],
              sg: SemanticGuidance | None, device: torch.device) -> "TickPlan":
        import copy

        sched = copy.deepcopy(scheduler)
        abar_all = sched.alphas_cumprod.double().numpy()
        final = float(sched.final_alpha_cumprod)
        n_train = sched.config.num_train_timesteps
        b = len(steps)
        calls = [s * (r + 1) for s, r in zip(steps, resamples)]
        ticks = max(calls)
        tab = {k: np.zeros((ticks, b), dt) for k, dt in [
            ("t", np.int64), ("abar_t", np.float64), ("abar_prev", np.float64), ("active", bool),
            ("renoise", bool), ("noise_idx", np.int64), ("guide", bool), ("step", np.int64), ("r", np.int64)]}
        for i, (s_i, r_i) in enumerate(zip(steps, resamples)):
            sched.set_timesteps(s_i)                       # diffusers' DDIM spacing for S_i
            ts = sched.timesteps.numpy().astype(np.int64)
            prev = ts - n_train // s_i
            a_t = abar_all[ts]
            a_prev = np.where(prev >= 0, abar_all[np.clip(prev, 0, None)], final)
            first_guided = sg.first_step(s_i) if sg is not None else s_i
            for k in range(ticks):
                kk = min(k, calls[i] - 1)                  # padding repeats the last real call
                step, r = divmod(kk, r_i + 1)
                tab["t"][k, i], tab["abar_t"][k, i], tab["abar_prev"][k, i] = ts[step], a_t[step], a_prev[step]
                tab["step"][k, i], tab["r"][k, i] = step, r
                if k < calls[i]:
                    tab["active"][k, i] = True
                    tab["renoise"][k, i] = r < r_i
                    tab["noise_idx"][k, i] = step * r_i + r if r < r_i else 0
                    tab["guide"][k, i] = r == 0 and step >= first_guided

        def dev(name, dtype):
            return torch.as_tensor(tab[name]).to(device=device, dtype=dtype)

        return cls(ticks, dev("t", torch.long), dev("abar_t", torch.float32), dev("abar_prev", torch.float32),
                   dev("active", torch.bool), dev("renoise", torch.bool), dev("noise_idx", torch.long),
                   dev("guide", torch.bool), [s * r for s, r in zip(steps, resamples)], tab)


def _col(v: torch.Tensor, ndim: int) -> torch.Tensor:
    """(B,) -> (B, 1, ..., 1) with ``ndim`` dims, for per-request broadcasting."""
    return v.view(-1, *([1] * (ndim - 1)))


def ddim_step(x: torch.Tensor, eps: torch.Tensor, abar_t: torch.Tensor, abar_prev: torch.Tensor) -> torch.Tensor:
    """Deterministic DDIM update (eta = 0, epsilon prediction; Song et al. 2021, Eq. 12) with
    per-request alphas (B,): x0 = (x - sqrt(1-abar_t) eps) / sqrt(abar_t);
    x_prev = sqrt(abar_prev) x0 + sqrt(1-abar_prev) eps. Equal to diffusers' DDIMScheduler.step
    with clip_sample=False, but elementwise, so requests at different timesteps share one call."""
    a_t, a_p = _col(abar_t, x.ndim), _col(abar_prev, x.ndim)
    x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
    return a_p.sqrt() * x0 + (1 - a_p).sqrt() * eps


class TI2VPipeline:
    """Image + prompt -> video with a ModelScope-style T2V model (see module docstring).

    ``compile``: wrap the UNet's sampling forward in ``torch.compile`` (``cuda_graphs`` adds
    CUDA graphs through mode="reduce-overhead"; batch shapes are fixed within a batch, so a graph
    is recorded once per batch shape). Semantic guidance's backward uses the eager UNet."""

    def __init__(self, components: TI2VComponents, window: int = 16, reencode_new_frame: bool = True,
                 compile: bool = False, cuda_graphs: bool = False, pad_finished: bool = False):
        if window < 2:
            raise ValueError(f"window K must be >= 2 (K-1 conditioning frames + 1 new), got {window}")
        if cuda_graphs and not compile:
            raise ValueError("cuda_graphs needs compile=True (CUDA graphs come from torch.compile's reduce-overhead mode)")
        self.components = components
        self.window = window
        self.reencode_new_frame = reencode_new_frame
        self.cuda_graphs = cuda_graphs
        self.pad_finished = pad_finished
        self._classifier = None
        self._abar: torch.Tensor | None = None
        self.unet_forward = components.unet
        if compile:
            mode = "reduce-overhead" if cuda_graphs else "default"
            self.unet_forward = torch.compile(components.unet, mode=mode, dynamic=False)

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
        """Image side must be a multiple of this: the VAE's downsampling. The UNet takes any
        latent size (diffusers forwards the skip sizes to its upsamplers), so 224 px works."""
        return self.vae_scale_factor

    def abar(self, t: torch.Tensor, batch: int) -> torch.Tensor:
        """abar_t as (B,) float32 on the device for a scalar or (B,) timestep tensor (the table
        is uploaded once, so indexing it is not a host round trip)."""
        if self._abar is None or self._abar.device != self.device:
            self._abar = self.components.scheduler.alphas_cumprod.to(self.device, torch.float32)
        return self._abar[t.to(self.device).reshape(-1)].expand(batch)

    def default_classifier(self):
        if self._classifier is None:
            from argen_rl.generation.ti2v.guidance import default_classifier

            self._classifier = default_classifier()
        return self._classifier

    @property
    def max_prompt_tokens(self) -> int:
        """Text-encoder context in tokens (77 for CLIP), BOS and EOS included."""
        return int(self.components.tokenizer.model_max_length)

    def prompt_tokens(self, prompts: Sequence[str]) -> list[int]:
        """Token count of each prompt (BOS/EOS included), before any cut."""
        tok = self.components.tokenizer
        return [len(ids) for ids in tok(list(prompts), truncation=False).input_ids]

    def encode_prompt(self, prompts: Sequence[str]) -> torch.Tensor:
        """CLIP token embeddings (last hidden state), (B, 77, D) float32. A prompt longer than
        the encoder's context is cut there, with a ``PromptTruncatedWarning`` naming what is lost
        (ASI writes a generator prompt that fits: argen_rl.asi.writers.fit_prompt)."""
        import warnings

        tok = self.components.tokenizer
        limit = self.max_prompt_tokens
        for p, n in zip(prompts, self.prompt_tokens(prompts)):
            if n > limit:
                ids = tok(p, truncation=False).input_ids
                lost = tok.decode(ids[limit - 1:-1])
                warnings.warn(f"prompt has {n} tokens, the text encoder sees {limit}: cut {lost!r} "
                              f"from {p[:60]!r}...", PromptTruncatedWarning, stacklevel=3)
        ids = tok(list(prompts), padding="max_length", max_length=limit,
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
        latents (B, 4, K, h, w) float32; t scalar or (B,) (per-request timesteps); cond/uncond
        (B, 77, D); w (B,)."""
        b = latents.shape[0]
        t2 = t.to(latents.device).reshape(-1).expand(b)
        x = torch.cat([latents, latents]).to(self.dtype)
        emb = torch.cat([uncond, cond]).to(self.dtype)
        if self.cuda_graphs:
            torch.compiler.cudagraph_mark_step_begin()
        eps = self.unet_forward(x, torch.cat([t2, t2]), encoder_hidden_states=emb).sample.float()
        eps_u, eps_c = eps.chunk(2)
        return eps_u + _col(w, eps_u.ndim) * (eps_c - eps_u)

    # ---- input checks ----------------------------------------------------------------------
    def check_inputs(self, images, prompts, guidance_weights, steps, resamples, num_frames, size, seeds,
                     semantic_guidance, targets) -> None:
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
        for name, vals in (("num_inference_steps", steps), ("resample", resamples)):
            if len(vals) != len(images):
                raise ValueError(f"{len(images)} images but {len(vals)} values of {name}")
        n_train = self.components.scheduler.config.num_train_timesteps
        for s in steps:
            if s < 1:
                raise ValueError(f"num_inference_steps must be >= 1, got {s}")
            if s > n_train:
                raise ValueError(f"num_inference_steps {s} > {n_train} training timesteps")
        for r in resamples:
            if r < 0:
                raise ValueError(f"resample must be >= 0, got {r}")
        if num_frames < 2:
            raise ValueError(f"num_frames must be >= 2 (the reference + one generated frame), got {num_frames}")
        m = self.size_multiple
        if size < m or size % m:
            raise ValueError(f"size must be a positive multiple of {m} (the VAE's downsampling), got {size}")
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
        """Per-request noise drawn on the device from per-request generators (same seed -> same
        noise in any batch)."""
        return torch.stack([torch.randn(shape, generator=g, device=self.device) for g in gens])

    def _randn_each(self, gens: list[torch.Generator], counts: Sequence[int], shape: tuple[int, ...]) -> torch.Tensor:
        """(B, max(counts), *shape): ``counts[i]`` draws for request i (its own stream only),
        zero-padded to a common length."""
        n = max(1, max(counts))
        out = torch.zeros((len(gens), n, *shape), device=self.device)
        for i, (g, c) in enumerate(zip(gens, counts)):
            if c:
                out[i, :c] = torch.randn((c, *shape), generator=g, device=self.device)
        return out

    def _sample_run(self, run, queue, cond, uncond, w, gens, plan: TickPlan, sg, target_idx, callback, losses):
        """One sampling run (ARGen Eq. 5): returns the new frame's clean latent (B, 4, h, w) and
        the conditional embedding it ended with. Semantic guidance starts from the prompt's own
        embedding in every run (early steps unguided, as in SynFER)."""
        b, c, k1, h, wd = queue.shape
        cond_noise = self._randn(gens, (c, k1, h, wd))
        init_noise = self._randn(gens, (c, 1, h, wd))
        renoise = self._randn_each(gens, plan.n_renoise, (c, 1, h, wd))   # (B, N, c, 1, h, w)
        rows = torch.arange(b, device=queue.device)
        # inversion init (ARGen Eq. 1): the new frame = the newest queue latent noised to each
        # request's first timestep; the K-1 conditioning frames are set by the replacement below
        a0 = _col(plan.abar_t[0], 5)
        x_new = a0.sqrt() * queue[:, :, -1:] + (1 - a0).sqrt() * init_noise
        for k in range(plan.ticks):
            a_t, a_prev = plan.abar_t[k], plan.abar_prev[k]
            t = plan.t[k]
            # replacement (ARGen Eq. 5): conditioning frames = the queue noised to each request's t
            a5 = _col(a_t, 5)
            x = torch.cat([a5.sqrt() * queue + (1 - a5).sqrt() * cond_noise, x_new], dim=2)
            g_host, g_rows = plan.rows("guide", k)
            if len(g_host):                                                  # SynFER Eq. 4-6
                sel = (lambda v: v) if g_rows is None else (lambda v: v.index_select(0, g_rows))
                new_cond, loss = sg.update(self, sel(x), sel(t), sel(cond), sel(target_idx))
                cond = new_cond if g_rows is None else cond.index_copy(0, g_rows, new_cond)
                losses.append((g_host, loss))
            if callback is not None:
                hk = {n: plan.host[n][k].tolist() for n in ("step", "r", "t", "active")}
                callback(StepState(run, k, hk["step"], hk["r"], hk["t"], hk["active"], x, queue, cond_noise))
            _, rows_k = (None, None) if self.pad_finished else plan.rows("active", k)
            if rows_k is None:                                                # ARGen Eq. 4, w = w_f
                eps = self.predict_noise(x, t, cond, uncond, w)[:, :, -1:]
            else:  # only the requests still running go through the UNet
                sub = self.predict_noise(x.index_select(0, rows_k), t.index_select(0, rows_k),
                                         cond.index_select(0, rows_k), uncond.index_select(0, rows_k),
                                         w.index_select(0, rows_k))[:, :, -1:]
                eps = torch.zeros_like(x_new).index_copy(0, rows_k, sub)
            x_prev = ddim_step(x_new, eps, a_t, a_prev)                   # DDIM step t -> t_prev
            if plan.host["renoise"][k].any():  # RePaint: re-noise t_prev -> t with a fresh noise
                ratio = _col(a_t / a_prev, 5)
                x_re = ratio.sqrt() * x_prev + (1 - ratio).sqrt() * renoise[rows, plan.noise_idx[k]]
                x_prev = torch.where(_col(plan.renoise[k], 5), x_re, x_prev)
            x_new = torch.where(_col(plan.active[k], 5), x_prev, x_new)   # padding keeps its state
        return x_new[:, :, 0], cond

    @torch.no_grad()
    def __call__(
        self,
        image: np.ndarray | Sequence[np.ndarray],
        prompt: str | Sequence[str],
        guidance_weights: np.ndarray,
        num_inference_steps: int | Sequence[int] = 10,
        resample: int | Sequence[int] = 0,
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
        num_inference_steps, resample, seeds: one per request, or one int for every request;
        requests with different S and R share every UNet call (see the module docstring).
        targets: the emotion each request is guided toward when semantic guidance has no fixed
        target.
        """
        # 1. normalise and check inputs
        images = [image] if isinstance(image, np.ndarray) else list(image)
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        b = len(images)
        weights = np.asarray(guidance_weights, dtype=np.float64)
        if weights.ndim == 1:
            weights = np.broadcast_to(weights, (b, weights.shape[0]))

        def per_request(v):
            return [int(v)] * b if isinstance(v, (int, np.integer)) else [int(x) for x in v]

        steps, resamples, seeds = per_request(num_inference_steps), per_request(resample), per_request(seeds)
        self.check_inputs(images, prompts, weights, steps, resamples, num_frames, size, seeds,
                          semantic_guidance, targets)
        dev = self.device
        gens = [torch.Generator(device=dev).manual_seed(s) for s in seeds]

        # 2. text embeddings: conditional per request, unconditional (negative prompt) shared
        n_tokens = self.prompt_tokens(prompts)
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

        # 4. per-request timesteps, laid out as one tick schedule for the batch
        plan = TickPlan.build(self.components.scheduler, steps, resamples, semantic_guidance, dev)
        w_all = torch.tensor(np.array(weights, dtype=np.float32), device=dev)                  # (B, F)

        # 5. autoregressive sampling runs, one new frame each (repeat-and-slide)
        new_latents, new_pixels, losses = [], [], []
        runs = range(1, num_frames)
        if progress:
            from tqdm.auto import tqdm

            runs = tqdm(runs, desc="ti2v frames", unit="frame")
        for f in runs:
            z, cond_end = self._sample_run(f, queue, cond, uncond, w_all[:, f], gens, plan, semantic_guidance,
                                           target_idx, callback, losses)
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

        # 7. postprocess: frame 0 is the (resized) reference itself; the one host copy
        video = torch.stack([ref_pixels] + new_pixels, dim=1)                        # (B, F, 3, H, W)
        latents = torch.stack([ref_latent] + new_latents, dim=2)
        per_request_losses: list[list[float]] = [[] for _ in range(b)]
        if losses:
            values = torch.cat([v for _, v in losses]).float().cpu().numpy()
            for i, v in zip(np.concatenate([r for r, _ in losses]), values):
                per_request_losses[int(i)].append(float(v))
        return TI2VOutput(frames=self.to_uint8(video), latents=latents.cpu(), text_embeddings=cond_end.cpu(),
                          guidance_losses=per_request_losses, unet_calls=(num_frames - 1) * plan.ticks,
                          prompt_tokens=n_tokens)
