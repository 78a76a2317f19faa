"""Whole-pool batching: requests with different S and R share UNet calls and come out exactly as
they would alone; F < K and sizes that are not multiples of the UNet's downsampling work."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from argen_rl.generation.params import guidance_weights
from argen_rl.generation.ti2v.pipeline import TickPlan, ddim_step

F, SIZE = 5, 32


def _face(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[::4, ::4])


@pytest.mark.parametrize("pad_finished", [False, True])
def test_mixed_steps_and_resamples_batched_equal_one_at_a_time(tiny_pipe, grace_hopper, astronaut, pad_finished):
    """A candidate pool of 4 (S, R, curve, seed all different) in ONE batch == each alone (fp32, CPU)."""
    faces = [_face(grace_hopper), _face(astronaut), _face(grace_hopper), _face(astronaut)]
    prompts = ["a surprised woman", "a frightened man", "a disgusted woman", "a happy man"]
    steps, resamples, seeds = [2, 4, 3, 1], [1, 0, 2, 0], [11, 12, 13, 14]
    weights = np.stack([guidance_weights(F, a, b, 7.5, 10.5) for a, b in [(2, 2), (4, 1), (1, 4), (1, 1)]])
    calls = []
    hook = tiny_pipe.components.unet.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    tiny_pipe.pad_finished = pad_finished
    try:
        batched = tiny_pipe(faces, prompts, guidance_weights=weights, num_inference_steps=steps, resample=resamples,
                            num_frames=F, size=SIZE, seeds=seeds)
    finally:
        hook.remove()
        tiny_pipe.pad_finished = False
    ticks = max(s * (r + 1) for s, r in zip(steps, resamples))           # 9 = S 3 x (R 2 + 1)
    assert batched.unet_calls == len(calls) == (F - 1) * ticks
    if pad_finished:    # one batch shape: every request (x CFG) in every call
        assert set(calls) == {8}
    else:               # finished requests leave the batch: the compute is the requests' own work
        assert sum(calls) == 2 * (F - 1) * sum(s * (r + 1) for s, r in zip(steps, resamples))
        assert calls[:2] == [8, 6] and min(calls) == 2      # S=1 leaves after 1 call; S=3,R=2 runs alone at the end
    for i in range(4):
        alone = tiny_pipe(faces[i], prompts[i], guidance_weights=weights[i], num_inference_steps=steps[i],
                          resample=resamples[i], num_frames=F, size=SIZE, seeds=seeds[i])
        assert alone.unet_calls == (F - 1) * steps[i] * (resamples[i] + 1)
        torch.testing.assert_close(batched.latents[i:i + 1], alone.latents, rtol=0, atol=2e-4)
        assert np.abs(batched.frames[i].astype(int) - alone.frames[0].astype(int)).max() <= 1
    assert not np.array_equal(batched.frames[0, 1:], batched.frames[2, 1:])


def test_tick_plan_follows_each_requests_own_ddim_schedule(tiny_pipe):
    sched = tiny_pipe.components.scheduler
    plan = TickPlan.build(sched, [2, 5], [1, 0], None, torch.device("cpu"))
    assert plan.ticks == 5 and plan.n_renoise == [2, 0]
    sched.set_timesteps(2)
    assert plan.host["t"][:4, 0].tolist() == np.repeat(sched.timesteps.numpy(), 2).tolist()
    assert plan.host["active"][:, 0].tolist() == [True] * 4 + [False]          # padded after its 4 calls
    assert plan.host["renoise"][:4, 0].tolist() == [True, False, True, False]
    sched.set_timesteps(5)
    assert plan.host["t"][:, 1].tolist() == sched.timesteps.tolist()
    assert not plan.host["renoise"][:, 1].any()


def test_elementwise_ddim_equals_diffusers_step(tiny_pipe):
    sched = tiny_pipe.components.scheduler
    g = torch.Generator().manual_seed(0)
    x, eps = torch.randn(2, 4, 3, 8, 8, generator=g), torch.randn(2, 4, 3, 8, 8, generator=g)
    expected = []
    for i, s in enumerate([4, 10]):
        sched.set_timesteps(s)
        t = sched.timesteps[1]
        expected.append(sched.step(eps[i:i + 1], t, x[i:i + 1], eta=0.0).prev_sample)
    plan = TickPlan.build(sched, [4, 10], [0, 0], None, torch.device("cpu"))
    ours = ddim_step(x, eps, plan.abar_t[1], plan.abar_prev[1])
    torch.testing.assert_close(ours, torch.cat(expected), rtol=1e-5, atol=1e-6)


def test_fewer_frames_than_the_window(tiny_pipe, grace_hopper):
    """Short candidate videos: F = 3 < K = 4 (the queue is K-1 copies of the reference anyway)."""
    out = tiny_pipe(_face(grace_hopper), "surprise", guidance_weights=np.full(3, 9.0), num_inference_steps=2,
                    num_frames=3, size=SIZE, seeds=0)
    assert out.frames.shape == (1, 3, SIZE, SIZE, 3) and out.unet_calls == 2 * 2
    assert out.frames[0, 1:].std() > 1.0


def test_size_not_a_multiple_of_the_unet_downsampling(tiny_pipe, grace_hopper):
    """36 px -> a 9x9 latent (odd: the tiny UNet halves once); the full model's 224 px -> 28x28
    (not a multiple of 8) works the same way. Only the VAE factor is required."""
    assert tiny_pipe.size_multiple == tiny_pipe.vae_scale_factor == 4
    out = tiny_pipe(_face(grace_hopper), "surprise", guidance_weights=np.full(F, 9.0), num_inference_steps=2,
                    num_frames=F, size=36, seeds=0)
    assert out.frames.shape == (1, F, 36, 36, 3) and out.latents.shape[-2:] == (9, 9)


def test_noise_is_drawn_on_the_pipeline_device_from_seeded_generators(tiny_pipe):
    gens = [torch.Generator(device=tiny_pipe.device).manual_seed(s) for s in (3, 4)]
    again = [torch.Generator(device=tiny_pipe.device).manual_seed(3)]
    a = tiny_pipe._randn_each(gens, [2, 0], (4, 1, 8, 8))
    b = tiny_pipe._randn_each(again, [2], (4, 1, 8, 8))
    assert a.device == tiny_pipe.device and a.shape == (2, 2, 4, 1, 8, 8)
    torch.testing.assert_close(a[0], b[0], rtol=0, atol=0)      # own stream, independent of batch-mates
    assert torch.count_nonzero(a[1]) == 0                       # nothing drawn for R = 0
