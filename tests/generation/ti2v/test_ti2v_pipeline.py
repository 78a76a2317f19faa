"""TI2V sampler on tiny random components: repeat-and-slide, replacement, CFG, seeds, resampling."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from argen_rl.generation.params import guidance_weights

F, K, S, SIZE = 6, 4, 3, 32


def _face(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[::4, ::4])  # real photo, downscaled to keep the VAE cheap


def test_conditioning_frames_are_the_noised_reference_at_every_step(tiny_pipe, grace_hopper):
    states = []
    w = guidance_weights(F, 2.0, 2.0, 7.5, 10.5)
    tiny_pipe(_face(grace_hopper), "a woman raises her eyebrows in surprise", guidance_weights=w,
              num_inference_steps=S, resample=1, num_frames=F, size=SIZE, seeds=3,
              callback=lambda s: states.append(s))
    assert len(states) == (F - 1) * S * 2                     # every UNet call reported
    sched = tiny_pipe.components.scheduler
    # the reference latent, computed independently of the sampler
    ref = tiny_pipe.preprocess(_face(grace_hopper), SIZE)[None]
    vae = tiny_pipe.components.vae
    with torch.no_grad():
        z_ref = vae.encode(ref).latent_dist.mean * vae.config.scaling_factor
    by_run: dict[int, list] = {}
    for s in states:
        by_run.setdefault(s.run, []).append(s)
        abar = sched.alphas_cumprod[s.timestep].double()
        expected = abar.sqrt() * s.queue.double() + (1 - abar).sqrt() * s.cond_noise.double()  # Eq. 1
        torch.testing.assert_close(s.latents[:, :, :K - 1].double(), expected, rtol=0, atol=1e-5)
    assert sorted(by_run) == list(range(1, F))
    sched.set_timesteps(S)          # the schedule the sampler used (it never mutates the shared scheduler)
    first = by_run[1][0]
    torch.testing.assert_close(first.queue, z_ref[:, :, None].expand(-1, -1, K - 1, -1, -1),
                               rtol=0, atol=1e-5)              # repeat: K-1 copies of the reference
    for run, ss in by_run.items():
        assert [s.step for s in ss] == [0, 0, 1, 1, 2, 2]
        assert all(torch.equal(s.cond_noise, ss[0].cond_noise) for s in ss)   # one noise per run
        assert all(torch.equal(s.queue, ss[0].queue) for s in ss)
        assert [s.timestep for s in ss[::2]] == sched.timesteps.tolist()
        if run > 1:  # slide: the oldest popped, one new frame at the end
            prev = by_run[run - 1][0].queue
            assert torch.equal(ss[0].queue[:, :, :-1], prev[:, :, 1:])
            assert not torch.allclose(ss[0].queue[:, :, -1], prev[:, :, -1])
        # inversion init: the new frame starts near the newest queue latent noised to t_S
        abar0 = sched.alphas_cumprod[ss[0].timestep]
        new0 = ss[0].latents[:, :, -1]
        resid = (new0 - abar0.sqrt() * ss[0].queue[:, :, -1]) / (1 - abar0).sqrt()
        assert 0.7 < resid.std().item() < 1.3


def test_batched_cfg_equals_two_separate_forwards(tiny_pipe):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, K, 8, 8, generator=g)
    cond = tiny_pipe.encode_prompt(["a happy person smiling", "a sad face"])
    uncond = tiny_pipe.encode_prompt(["", ""])
    w = torch.tensor([2.0, 9.0])
    t = torch.tensor(601)
    unet = tiny_pipe.components.unet
    with torch.no_grad():
        batched = tiny_pipe.predict_noise(x, t, cond, uncond, w)
        eps_u = unet(x, t, encoder_hidden_states=uncond).sample
        eps_c = unet(x, t, encoder_hidden_states=cond).sample
    separate = eps_u + w.view(-1, 1, 1, 1, 1) * (eps_c - eps_u)
    torch.testing.assert_close(batched, separate, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(eps_u, eps_c)  # the text really conditions the UNet


def test_output_shape_dtype_range_and_reference_first_frame(tiny_pipe, grace_hopper, astronaut):
    out = tiny_pipe([_face(grace_hopper), _face(astronaut)], ["surprise", "fear"],
                    guidance_weights=np.full(F, 9.0), num_inference_steps=2, num_frames=F, size=SIZE,
                    seeds=[0, 1])
    assert out.frames.shape == (2, F, SIZE, SIZE, 3) and out.frames.dtype == np.uint8
    assert out.latents.shape == (2, 4, F, SIZE // 4, SIZE // 4)
    ref = tiny_pipe.to_uint8(tiny_pipe.preprocess(_face(grace_hopper), SIZE))
    np.testing.assert_array_equal(out.frames[0, 0], ref)
    assert out.frames[:, 1:].std() > 1.0          # generated frames are images, not constants
    assert not np.array_equal(out.frames[0, 1:], out.frames[1, 1:])


def test_same_seed_reproduces_and_batching_does_not_change_a_request(tiny_pipe, grace_hopper, astronaut):
    kw = dict(guidance_weights=np.full(F, 9.0), num_inference_steps=2, resample=1, num_frames=F, size=SIZE)
    img = _face(grace_hopper)
    a = tiny_pipe(img, "surprise", seeds=5, **kw).frames
    b = tiny_pipe(img, "surprise", seeds=5, **kw).frames
    c = tiny_pipe(img, "surprise", seeds=6, **kw).frames
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 0.5
    both = tiny_pipe([_face(astronaut), img], ["fear", "surprise"], seeds=[9, 5], **kw).frames
    assert np.abs(both[1].astype(int) - a[0].astype(int)).max() <= 1   # batch only adds float noise


@pytest.mark.parametrize("resample", [0, 2])
def test_resample_count_sets_unet_calls(tiny_pipe, grace_hopper, resample):
    calls = []
    hook = tiny_pipe.components.unet.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    try:
        out = tiny_pipe(_face(grace_hopper), "surprise", guidance_weights=np.full(F, 9.0),
                        num_inference_steps=S, resample=resample, num_frames=F, size=SIZE)
    finally:
        hook.remove()
    assert len(calls) == out.unet_calls == (F - 1) * S * (resample + 1)
    assert set(calls) == {2}       # each call holds the conditional and unconditional halves


def test_latent_queue_without_reencoding_runs(tiny_components, grace_hopper):
    from argen_rl.generation.ti2v import TI2VPipeline

    pipe = TI2VPipeline(tiny_components, window=K, reencode_new_frame=False)
    states = []
    out = pipe(_face(grace_hopper), "surprise", guidance_weights=np.full(F, 9.0), num_inference_steps=2,
               num_frames=F, size=SIZE, callback=states.append)
    assert out.frames.shape == (1, F, SIZE, SIZE, 3)
    last = [s for s in states if s.run == F - 1][0]
    torch.testing.assert_close(last.queue[:, :, -1], out.latents[:, :, F - 2])   # the latent itself


@pytest.mark.parametrize("change, message", [
    (dict(image=np.zeros((32, 32, 3), np.float32)), "uint8 HxWx3"),
    (dict(image=np.zeros((32, 32), np.uint8)), "uint8 HxWx3"),
    (dict(num_inference_steps=0), "num_inference_steps must be >= 1"),
    (dict(num_frames=1, guidance_weights=np.full(1, 9.0)), "num_frames must be >= 2"),
    (dict(size=30), "multiple of 4"),
    (dict(guidance_weights=np.full(5, 9.0)), "guidance_weights must have shape"),
    (dict(resample=-1), "resample must be >= 0"),
])
def test_check_inputs_fail_loudly(tiny_pipe, change, message):
    kw = dict(image=np.zeros((32, 32, 3), np.uint8), prompt="surprise", guidance_weights=np.full(F, 9.0),
              num_inference_steps=2, num_frames=F, size=SIZE)
    kw.update(change)
    with pytest.raises(ValueError, match=message):
        tiny_pipe(**kw)


@pytest.mark.gpu
def test_bf16_on_gpu_matches_fp32_closely(grace_hopper):
    """On a GPU the sampler runs in bf16/fp16 (dtype "auto"); its CFG stays close to fp32's."""
    from argen_rl.generation.ti2v import TI2VPipeline
    from argen_rl.generation.ti2v.components import prepare_components, resolve_dtype
    from argen_rl.generation.ti2v.random_init import random_components

    tok = Path(__file__).parent / "fixtures" / "tiny_clip_tokenizer"
    dev = torch.device("cuda")
    half = TI2VPipeline(prepare_components(random_components("tiny", tok), dev, resolve_dtype("auto", dev)), window=K)
    full = TI2VPipeline(prepare_components(random_components("tiny", tok), dev, torch.float32), window=K)
    assert half.dtype in (torch.bfloat16, torch.float16)
    x = torch.randn(1, 4, K, 8, 8, device=dev)
    cond, uncond = full.encode_prompt(["surprise"]), full.encode_prompt([""])
    t, w = torch.tensor(501, device=dev), torch.tensor([9.0], device=dev)
    with torch.no_grad():
        a, b = half.predict_noise(x, t, cond, uncond, w), full.predict_noise(x, t, cond, uncond, w)
    assert a.dtype == torch.float32 and (a - b).abs().mean() < 0.05 * b.abs().mean() + 1e-3
    out = half(_face(grace_hopper), "surprise", guidance_weights=np.full(F, 9.0), num_inference_steps=2,
               num_frames=F, size=SIZE)
    assert out.frames.shape == (1, F, SIZE, SIZE, 3)
