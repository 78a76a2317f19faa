"""TI2V sampler benchmark: a naive port vs ours, in the same run, on the same random weights.

Both sample the same algorithm (repeat-and-slide, replacement, inversion init, R resamples, CFG
with w_f, S DDIM steps) from the same seeds, so their videos must agree; they differ only in
how the work is done:

  naive: sequential CFG (two UNet forwards per step), fp32 (or fp16 autocast with
         --naive-precision autocast-fp16), the whole pixel queue (K-1 frames) re-encoded by the
         VAE every sampling run.
  ours:  TI2VPipeline: one batched UNet forward for cond+uncond, bf16/fp16 weights on GPU
         (fp32 on CPU), SDPA attention, only the new frame encoded.

Modes
  default       one video per sampler at TI2V-Zero's demo settings (16 frames, K=16, 10 DDIM
                steps, 4 resamples, 256^2) with the full ModelScope T2V 1.7B configuration and
                random weights (1.41 B UNet params). Meant for a GPU.
  --tiny        the same video settings on tiny random components at 32^2 (CPU smoke).
  --quick       --tiny with 6 frames, K=4, 3 steps, 1 resample (< 60 s on a CPU).
  --forward-only  full-size UNet only: one CFG pair of forwards on --forward-frames frames,
                naive (2 x batch 1) vs ours (1 x batch 2); what a CPU can measure in minutes.

TFLOP/s counts UNet FLOPs only (VAE and text encoder are < 1 % of the work), measured with
torch's FlopCounterMode on the meta device: 4.887 TFLOP per 16-frame 32x32-latent forward of
the full UNet; a video is (F-1) * S * (R+1) * 2 such forwards (1,500 at demo settings).

  python benchmarks/ti2v_bench.py                    # GPU, full size
  python benchmarks/ti2v_bench.py --quick            # CPU smoke
  python benchmarks/ti2v_bench.py --forward-only --device cpu --forward-frames 2
"""
from __future__ import annotations

import argparse
import copy
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from argen_rl.generation.params import guidance_weights
from argen_rl.generation.ti2v.components import (TI2VComponents, prepare_components, resolve_device,
                                                 resolve_dtype, use_sdpa)
from argen_rl.generation.ti2v.pipeline import TI2VPipeline
from argen_rl.generation.ti2v.random_init import PRESETS, random_components

TOKENIZER_DIR = Path(__file__).resolve().parents[1] / "tests" / "generation" / "ti2v" / "fixtures" / "tiny_clip_tokenizer"
PROMPT = "a woman raises her eyebrows and opens her mouth wide in surprise"


def unet_flops(preset: str, frames: int, latent: int = 32, batch: int = 1) -> float:
    """FLOPs of one UNet forward on (batch, 4, frames, latent, latent) latents, counted on the meta device."""
    from diffusers import UNet3DConditionModel
    from diffusers.models.attention_processor import AttnProcessor2_0
    from torch.utils.flop_counter import FlopCounterMode

    cfg = PRESETS[preset][0]
    with torch.device("meta"):
        unet = UNet3DConditionModel(**cfg)
    unet.set_attn_processor(AttnProcessor2_0())
    x = torch.zeros(batch, 4, frames, latent, latent, device="meta")
    emb = torch.zeros(batch, 77, cfg["cross_attention_dim"], device="meta")
    with FlopCounterMode(display=False) as counter:
        unet(x, torch.tensor(500, device="meta"), encoder_hidden_states=emb)
    return float(counter.get_total_flops())


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reference_image(size: int) -> np.ndarray:
    """matplotlib's grace_hopper.jpg (a real face), if present; else a smooth synthetic image."""
    try:
        import matplotlib
        from argen_rl.video_io import read_image

        return read_image(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
    except Exception:  # pragma: no cover - matplotlib is a project dependency
        yy, xx = np.mgrid[0:size, 0:size] / size
        return (np.stack([xx, yy, (xx + yy) / 2], -1) * 255).astype(np.uint8)


@torch.no_grad()
def naive_video(c: TI2VComponents, image, w, steps, resample, frames, window, size, seed, autocast):
    """The straightforward port: sequential CFG, pixel queue re-encoded as a whole every run."""
    helper = TI2VPipeline(c, window=window)      # only for pre/post-processing helpers
    dev = helper.device
    gen = torch.Generator(device=dev).manual_seed(seed)    # same draws, same order as TI2VPipeline

    def randn(shape):
        return torch.randn(shape, generator=gen, device=dev)[None]

    amp = torch.autocast(dev.type, dtype=torch.float16) if autocast else nullcontext()
    vae, unet, sched = c.vae, c.unet, c.scheduler
    sf = vae.config.scaling_factor
    with amp:
        tok = c.tokenizer
        ids = tok([PROMPT, ""], padding="max_length", max_length=tok.model_max_length, truncation=True,
                  return_tensors="pt").input_ids.to(dev)
        cond, uncond = c.text_encoder(ids)[0].float().chunk(2)
        ref = helper.preprocess(image, size)[None].to(dev)
        pixel_queue = [ref] * (window - 1)
        out = [ref]
        sched.set_timesteps(steps, device=dev)
        gap = sched.config.num_train_timesteps // steps
        n_encoded = 0
        for f in range(1, frames):
            queue = (vae.encode(torch.cat(pixel_queue)).latent_dist.mean.float() * sf).permute(1, 0, 2, 3)[None]
            n_encoded += window - 1
            b, ch, k1, h, wd = queue.shape
            cond_noise = randn((ch, k1, h, wd))
            t0 = sched.timesteps[:1]
            x = torch.cat([sched.add_noise(queue, cond_noise, t0),
                           sched.add_noise(queue[:, :, -1:], randn((ch, 1, h, wd)), t0)], dim=2)
            renoise = randn((steps * resample, ch, 1, h, wd))[0] if resample else None
            for i, t in enumerate(sched.timesteps):
                noised = sched.add_noise(queue, cond_noise, t[None])
                a_t = float(sched.alphas_cumprod[int(t)])
                a_prev = float(sched.alphas_cumprod[int(t) - gap]) if int(t) - gap >= 0 else float(sched.final_alpha_cumprod)
                for r in range(resample + 1):
                    x = torch.cat([noised, x[:, :, -1:]], dim=2)
                    eps_u = unet(x, t, encoder_hidden_states=uncond).sample.float()
                    eps_c = unet(x, t, encoder_hidden_states=cond).sample.float()
                    eps = eps_u + float(w[f]) * (eps_c - eps_u)
                    x = sched.step(eps, t, x, eta=0.0).prev_sample
                    if r < resample:   # only the new frame survives the next replacement
                        last = (a_t / a_prev) ** 0.5 * x[:, :, -1:] + (1 - a_t / a_prev) ** 0.5 * renoise[i * resample + r][None]
                        x = torch.cat([x[:, :, :-1], last], dim=2)
            new = vae.decode(x[:, :, -1] / sf).sample.float()
            pixel_queue = pixel_queue[1:] + [new.clamp(-1, 1)]
            out.append(new)
    return helper.to_uint8(torch.stack(out, dim=1))[0], n_encoded


def bench_video(args) -> None:
    dev = resolve_device(args.device)
    ours_dtype = resolve_dtype(args.dtype, dev)
    preset = "tiny" if args.tiny else "ms-1.7b"
    frames, window, steps, resample, size = args.frames, args.window, args.steps, args.resample, args.size
    t_build = time.perf_counter()
    base = random_components(preset, TOKENIZER_DIR, seed=0)
    ours_c = prepare_components(copy.deepcopy(base), dev, ours_dtype)
    naive_c = prepare_components(base, dev, torch.float32)
    print(f"built {preset} components with random weights in {time.perf_counter() - t_build:.1f} s "
          f"(UNet {sum(p.numel() for p in base.unet.parameters()) / 1e6:,.2f} M params)")
    latent_frames_flops = unet_flops(preset, window, size // TI2VPipeline(ours_c).vae_scale_factor)
    n_fwd = (frames - 1) * steps * (resample + 1) * 2
    total_tflop = n_fwd * latent_frames_flops / 1e12
    print(f"device {dev} | {frames} frames, K={window}, S={steps}, R={resample}, {size}^2 | "
          f"{latent_frames_flops / 1e12:.4f} TFLOP per {window}-frame forward, {n_fwd} forwards "
          f"= {total_tflop:.2f} TFLOP per video")
    image = reference_image(size)
    w = guidance_weights(frames, 2.0, 2.0, 7.5, 10.5)

    # warm-up (kernel selection, allocator) on both, outside the timed region
    pipe = TI2VPipeline(ours_c, window=window)
    pipe(image, PROMPT, guidance_weights=np.full(window, 9.0), num_inference_steps=1, num_frames=window,
         size=size, seeds=0)
    naive_video(naive_c, image, np.full(window, 9.0), 1, 0, window, window, size, 0, args.naive_precision != "fp32")

    rows = []
    sync(dev)
    t = time.perf_counter()
    naive_frames, n_enc = naive_video(naive_c, image, w, steps, resample, frames, window, size, args.seed,
                                      args.naive_precision != "fp32")
    sync(dev)
    rows.append((f"naive ({args.naive_precision}, sequential CFG, queue re-encode)", time.perf_counter() - t, n_enc))
    t = time.perf_counter()
    out = pipe(image, PROMPT, guidance_weights=w, num_inference_steps=steps, resample=resample,
               num_frames=frames, size=size, seeds=args.seed)
    sync(dev)
    rows.append((f"ours ({str(ours_dtype).removeprefix('torch.')}, batched CFG, new-frame encode)",
                 time.perf_counter() - t, frames - 1))
    for name, sec, enc in rows:
        print(f"{name:<62s} {sec:9.2f} s/video  {total_tflop / sec:9.3g} TFLOP/s  VAE-encoded frames {enc}")
    print(f"speed-up ours vs naive: {rows[0][1] / rows[1][1]:.2f}x")
    diff = np.abs(naive_frames.astype(int) - out.frames[0].astype(int))
    print(f"agreement: max |naive - ours| = {diff.max()} / 255, mean {diff.mean():.3f} "
          f"(same algorithm and seeds; differences are precision only)")


@torch.no_grad()
def bench_forward(args) -> None:
    """Full-size UNet, one CFG pair on a reduced frame count: 2 x batch-1 vs 1 x batch-2."""
    from diffusers import UNet3DConditionModel

    dev = resolve_device(args.device)
    dtype = resolve_dtype(args.dtype, dev)
    t = time.perf_counter()
    torch.manual_seed(0)
    unet = UNet3DConditionModel(**PRESETS["ms-1.7b"][0]).to(dev).eval()
    if dtype != torch.float32:
        unet.to(dtype)
    use_sdpa(unet)
    print(f"built full ms-1.7b UNet ({sum(p.numel() for p in unet.parameters()) / 1e9:.3f} B params, random "
          f"weights, {dtype}) in {time.perf_counter() - t:.1f} s on {dev}")
    nf = args.forward_frames
    flops1 = unet_flops("ms-1.7b", nf)
    print(f"{flops1 / 1e12:.4f} TFLOP per {nf}-frame batch-1 forward "
          f"({unet_flops('ms-1.7b', 16) / 1e12:.4f} at 16 frames)")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 4, nf, 32, 32, generator=g).to(dev, dtype)
    emb = torch.randn(2, 77, 1024, generator=g).to(dev, dtype)
    t_step = torch.tensor(500, device=dev)

    def naive():
        unet(x, t_step, encoder_hidden_states=emb[:1]).sample
        unet(x, t_step, encoder_hidden_states=emb[1:]).sample

    def ours():
        unet(torch.cat([x, x]), t_step, encoder_hidden_states=emb).sample

    p = args.pool
    xp = x.repeat(2 * p, 1, 1, 1, 1)
    embp = emb.repeat_interleave(p, dim=0)
    tp = torch.tensor([500, 700, 900, 300][:p] * 2 if p <= 4 else [500] * 2 * p, device=dev)  # per-sample t (mixed S)

    def pool():
        unet(xp, tp, encoder_hidden_states=embp).sample

    cases = [("naive: 2 x batch-1 forwards (sequential CFG)", naive), ("ours: 1 x batch-2 forward (batched CFG)", ours)]
    if p > 1:
        cases.append((f"ours: pool of {p} = 1 x batch-{2 * p} forward", pool))
    results = {}
    if not args.warmup:   # one shared batch-1 warm-up instead of one per case (full size on CPU)
        unet(x, t_step, encoder_hidden_states=emb[:1])
    for name, fn in cases:
        if args.warmup:
            fn()  # warm-up
        sync(dev)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn()
            sync(dev)
            times.append(time.perf_counter() - t)
        sec = min(times)
        results[name] = sec
        pairs = p if fn is pool else 1
        print(f"{name:<48s} {sec:8.2f} s = {sec / pairs:8.2f} s per CFG pair  "
              f"{2 * pairs * flops1 / sec / 1e12:9.3g} TFLOP/s", flush=True)
    a, b = list(results.values())[:2]
    print(f"speed-up batched vs sequential CFG: {a / b:.2f}x")
    if p > 1:
        c = list(results.values())[2]
        print(f"pool of {p} in one batch vs {p} one-candidate calls: {c:.2f} s vs {p * b:.2f} s "
              f"= {c / b:.2f}x one candidate ({p * b / c:.2f}x faster than one at a time)")

# ---- --gpu-check: the one command for a GPU machine (imports torch + diffusers + transformers only, never Ray)
BF16_PEAK_TFLOPS = {"H200": 989.0, "H100 SXM": 989.0, "H100 80GB HBM3": 989.0, "H100 PCIe": 756.0,
                    "H100 NVL": 835.0, "GH200": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}
"""Dense bf16 tensor-core peaks (vendor data sheets, no sparsity) by device-name substring."""


def bf16_peak(name: str, override: float | None) -> float | None:
    if override:
        return override
    for key, v in sorted(BF16_PEAK_TFLOPS.items(), key=lambda kv: -len(kv[0])):
        if key.lower() in name.lower():
            return v
    return None


class Timer:
    """Wall seconds of a block, the device synchronised on both ends; peak device memory inside it."""

    def __init__(self, dev: torch.device):
        self.dev = dev

    def __enter__(self):
        sync(self.dev)
        if self.dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.dev)
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        sync(self.dev)
        self.seconds = time.perf_counter() - self.t
        self.peak_gib = torch.cuda.max_memory_allocated(self.dev) / 2**30 if self.dev.type == "cuda" else float("nan")


def gpu_check(args) -> None:
    """Full ms-1.7b in bf16 with random weights: demo and training settings, naive vs ours, TFLOP/s,
    fraction of the bf16 peak, peak memory, a batch-size sweep. ``--device cpu --tiny`` runs the same
    code on tiny components at tiny settings (CI's dry run)."""
    import sys

    dev = resolve_device(args.device)
    preset = "tiny" if args.tiny else "ms-1.7b"
    dtype = resolve_dtype("bfloat16" if dev.type == "cuda" else "float32", dev)
    t_all = time.perf_counter()
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    peak = bf16_peak(name, args.peak_tflops)
    import diffusers
    import transformers

    print(f"== ti2v --gpu-check: {name} | torch {torch.__version__}, diffusers {diffusers.__version__}, "
          f"transformers {transformers.__version__} | ray imported: {sys.modules.get('ray') is not None}", flush=True)
    if dev.type == "cuda":
        a = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
        for _ in range(3):
            a @ a
        with Timer(dev) as tm:
            for _ in range(10):
                a @ a
        mm = 10 * 2 * 8192 ** 3 / tm.seconds / 1e12
        del a
        print(f"bf16 8192^3 matmul: {mm:.0f} TFLOP/s measured; data-sheet dense bf16 peak: "
              f"{peak if peak else 'unknown (pass --peak-tflops)'}", flush=True)
    # settings: TI2V-Zero's demo, and the training pool (train_ti2v_gpu.yaml's action set S)
    if args.tiny:
        demo = dict(frames=3, window=4, steps=2, resample=1, size=32)
        pool_steps, pool_frames, sweep, naive_runs = [1, 2, 2, 3], 3, [1, 2], 2
    else:
        demo = dict(frames=16, window=16, steps=10, resample=4, size=256)
        pool_steps, pool_frames, sweep, naive_runs = [10, 20, 30, 50], 3, [1, 2, 4, 8, 16], args.naive_runs
    k = demo["window"]
    with Timer(dev) as tm:
        base = random_components(preset, TOKENIZER_DIR, seed=0)
        comps = prepare_components(base, dev, dtype)
    print(f"built {preset} UNet/VAE/text encoder from config, random weights, {dtype}, in {tm.seconds:.1f} s "
          f"(UNet {sum(p.numel() for p in comps.unet.parameters()) / 1e9:.3f} B params)", flush=True)
    latent = demo["size"] // (2 ** (len(comps.vae.config.block_out_channels) - 1))
    fwd = unet_flops(preset, k, latent)           # one batch-1 forward of K frames
    pipe = TI2VPipeline(comps, window=k, compile=args.compile, cuda_graphs=args.compile and args.cuda_graphs)
    image = reference_image(demo["size"])

    def frac(tflops):
        return f"{100 * tflops / peak:.1f} % of bf16 peak" if peak else "peak unknown"

    # warm-up: kernels, allocator, compile
    with Timer(dev) as tm:
        pipe(image, PROMPT, guidance_weights=np.full(3, 9.0), num_inference_steps=1, num_frames=3,
             size=demo["size"], seeds=0)
    print(f"warm-up {tm.seconds:.1f} s{' (includes torch.compile)' if args.compile else ''}", flush=True)

    # 1. demo settings, one video
    f, s, r = demo["frames"], demo["steps"], demo["resample"]
    per_video = (f - 1) * s * (r + 1) * 2 * fwd / 1e12
    print(f"\n[demo] {f} frames, K={k}, S={s}, R={r}, {demo['size']}^2: {(f - 1) * s * (r + 1) * 2} UNet "
          f"forwards = {per_video:.4g} TFLOP per video", flush=True)
    w = guidance_weights(f, 2.0, 2.0, 7.5, 10.5)
    with Timer(dev) as tm:
        out = pipe(image, PROMPT, guidance_weights=w, num_inference_steps=s, resample=r, num_frames=f,
                   size=demo["size"], seeds=0)
    ours_s = tm.seconds
    print(f"  ours  ({str(dtype)[6:]}, batched CFG, device noise, no host syncs): {ours_s:8.2f} s/video  "
          f"{per_video / ours_s:7.3g} TFLOP/s  {frac(per_video / ours_s)}  peak mem {tm.peak_gib:.1f} GiB", flush=True)
    naive_kinds = [("naive (fp32 port, sequential CFG, queue re-encode)", torch.float32)]
    if dtype != torch.float32:   # the same port in ours' dtype: what batching and the loop alone buy
        naive_kinds.append((f"naive ({str(dtype)[6:]}, sequential CFG, queue re-encode)", dtype))
    for label, prec in naive_kinds:
        nc = comps if prec == dtype else prepare_components(copy.deepcopy(comps), dev, prec)
        with Timer(dev) as tm:   # naive_runs of the f - 1 sampling runs; every run costs the same
            frames_naive, _ = naive_video(nc, image, w[:naive_runs + 1], s, r, naive_runs + 1, k, demo["size"], 0, False)
        sec = tm.seconds * (f - 1) / naive_runs
        print(f"  {label:<52s} {sec:8.2f} s/video  {per_video / sec:7.3g} TFLOP/s  (timed {naive_runs} of {f - 1} "
              f"runs, x{(f - 1) / naive_runs:.1f})  speed-up ours: {sec / ours_s:.2f}x", flush=True)
        if prec == dtype:
            d = np.abs(frames_naive.astype(int) - out.frames[0, :naive_runs + 1].astype(int))
            print(f"  agreement naive-{str(dtype)[6:]} vs ours, first {naive_runs + 1} frames: max {d.max()}/255, "
                  f"mean {d.mean():.2f}", flush=True)
        del nc

    # 2. training settings: a pool of 4 candidates with the policy's S choices, R = 0
    print(f"\n[train] pool of {len(pool_steps)} candidates, S = {pool_steps}, R = 0, {pool_frames} frames "
          f"(runs timed: {pool_frames - 1}; a 16-frame clip has 15, every run costs the same), {demo['size']}^2", flush=True)
    wp = guidance_weights(pool_frames, 2.0, 2.0, 7.5, 10.5)
    pool_fwd = sum(pool_steps) * 2 * fwd * (pool_frames - 1) / 1e12
    with Timer(dev) as tm:
        for i, st in enumerate(pool_steps):
            pipe(image, PROMPT, guidance_weights=wp, num_inference_steps=st, num_frames=pool_frames,
                 size=demo["size"], seeds=i)
    one, one_mem = tm.seconds, tm.peak_gib
    with Timer(dev) as tm:
        pipe([image] * len(pool_steps), [PROMPT] * len(pool_steps), guidance_weights=wp,
             num_inference_steps=pool_steps, num_frames=pool_frames, size=demo["size"], seeds=list(range(len(pool_steps))))
    both = tm.seconds
    scale = 15 / (pool_frames - 1)
    for label, sec, mem in (("one candidate per call (today's RolloutPool)", one, one_mem),
                            ("whole pool in one batch (ours)", both, tm.peak_gib)):
        print(f"  {label:<46s} {sec * scale / len(pool_steps):8.2f} s/video (16 frames)  "
              f"{pool_fwd / sec:7.3g} TFLOP/s  {frac(pool_fwd / sec)}  peak mem {mem:.1f} GiB", flush=True)
    print(f"  pool speed-up: {one / both:.2f}x", flush=True)

    # 3. batch-size sweep: one CFG forward of B requests (2B samples), K frames
    print(f"\n[sweep] one guided UNet forward, {k} frames, {latent}^2 latents, B requests = 2B samples", flush=True)
    d_txt = comps.text_encoder.config.hidden_size
    for b in sweep:
        x = torch.randn(b, 4, k, latent, latent, device=dev)
        emb = torch.randn(b, 77, d_txt, device=dev)
        t = torch.full((b,), 500, device=dev)
        wv = torch.full((b,), 9.0, device=dev)
        try:
            with torch.no_grad():
                pipe.predict_noise(x, t, emb, emb, wv)
                with Timer(dev) as tm:
                    for _ in range(args.repeats):
                        pipe.predict_noise(x, t, emb, emb, wv)
        except torch.OutOfMemoryError:
            print(f"  B={b:3d}: out of memory")
            break
        sec = tm.seconds / args.repeats
        tf = 2 * b * fwd / sec / 1e12
        print(f"  B={b:3d}: {sec * 1e3:8.1f} ms/forward  {sec / b * 1e3:7.1f} ms per request  {tf:7.3g} TFLOP/s  "
              f"{frac(tf)}  peak mem {tm.peak_gib:.1f} GiB", flush=True)
    print(f"\ntotal wall {time.perf_counter() - t_all:.0f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu-check", action="store_true",
                    help="the one GPU command: full ms-1.7b bf16, demo + training settings, naive vs ours, "
                         "TFLOP/s and fraction of peak, peak memory, batch sweep (with --device cpu --tiny: dry run)")
    ap.add_argument("--naive-runs", type=int, default=2, help="--gpu-check: sampling runs the naive port is timed on")
    ap.add_argument("--peak-tflops", type=float, default=None, help="--gpu-check: the device's dense bf16 peak")
    ap.add_argument("--compile", action="store_true", help="--gpu-check: torch.compile the UNet")
    ap.add_argument("--cuda-graphs", action="store_true", help="--gpu-check with --compile: CUDA graphs")
    ap.add_argument("--tiny", action="store_true", help="tiny random components (CPU smoke)")
    ap.add_argument("--quick", action="store_true", help="tiny, 6 frames, K=4, 3 steps, 1 resample")
    ap.add_argument("--forward-only", action="store_true", help="full-size UNet CFG-pair timing only")
    ap.add_argument("--forward-frames", type=int, default=2, help="frames for --forward-only")
    ap.add_argument("--repeats", type=int, default=2, help="timed repeats for --forward-only (min taken)")
    ap.add_argument("--pool", type=int, default=1, help="--forward-only: also time a pool of this many candidates in one batch")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false",
                    help="--forward-only: one shared batch-1 warm-up instead of one per case")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="auto", help="ours: auto = bf16/fp16 on GPU, fp32 on CPU")
    ap.add_argument("--naive-precision", choices=["fp32", "autocast-fp16"], default="fp32")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--resample", type=int, default=4)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = torch default); 1 is steadier on a busy CPU")
    args = ap.parse_args()
    if args.quick:
        args.tiny, args.frames, args.window, args.steps, args.resample = True, 6, 4, 3, 1
    if args.tiny and args.size == ap.get_default("size"):
        args.size = 32  # tiny VAE downsamples 4x: 8x8 latents, as in the tests
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.tiny and args.forward_only:
        ap.error("--forward-only measures the full-size UNet; drop --tiny/--quick")
    if args.gpu_check:
        if args.repeats == ap.get_default("repeats"):
            args.repeats = 3
        gpu_check(args)
    else:
        bench_forward(args) if args.forward_only else bench_video(args)


if __name__ == "__main__":
    main()
