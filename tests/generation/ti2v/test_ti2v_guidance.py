"""SynFER semantic guidance on tiny components: the text embedding moves and the x0 loss falls."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from argen_rl.generation.ti2v import SemanticGuidance
from argen_rl.types import Emotion


def test_guidance_step_moves_embedding_and_lowers_classifier_loss(tiny_pipe, grace_hopper, tiny_fer):
    clf = tiny_fer
    sg = SemanticGuidance(classifier=clf, lambda_g=0.05, last_fraction=0.5, target="fear")
    sched = tiny_pipe.components.scheduler
    sched.set_timesteps(10)
    t = sched.timesteps[7]
    with torch.no_grad():
        ref = tiny_pipe.encode_frames(tiny_pipe.preprocess(np.ascontiguousarray(grace_hopper[::4, ::4]), 32)[None])
        queue = ref[:, :, None].repeat(1, 1, 4, 1, 1)
        x = sched.add_noise(queue, torch.randn(queue.shape, generator=torch.Generator().manual_seed(0)), t[None])
        emb = tiny_pipe.encode_prompt(["a frightened woman"])
    target = torch.tensor([Emotion.FEAR.index])
    new_emb, loss_before = sg.update(tiny_pipe, x, t, emb, target)
    with torch.no_grad():
        loss_after = sg.loss(tiny_pipe, x, t, new_emb, target)
        loss_again = sg.loss(tiny_pipe, x, t, emb, target)
    torch.testing.assert_close(loss_again, loss_before)
    step = (new_emb - emb).flatten().norm().item()
    assert step == pytest.approx(0.05, rel=1e-3)           # normalised gradient times lambda_g
    assert loss_after.item() < loss_before.item()


def test_pipeline_with_semantic_guidance(tiny_pipe, grace_hopper, tiny_fer):
    sg = SemanticGuidance(classifier=tiny_fer, lambda_g=0.05, last_fraction=0.5)
    out = tiny_pipe(np.ascontiguousarray(grace_hopper[::4, ::4]), "a frightened woman",
                    guidance_weights=np.full(5, 9.0), num_inference_steps=4, num_frames=5, size=32,
                    semantic_guidance=sg, targets=[Emotion.FEAR])
    assert len(out.guidance_losses) == 1 and len(out.guidance_losses[0]) == 4 * 2   # 4 runs x last 2 of 4 steps
    start = tiny_pipe.encode_prompt(["a frightened woman"])
    assert not torch.allclose(out.text_embeddings, start)
    assert out.frames.shape == (1, 5, 32, 32, 3)


def test_semantic_guidance_rejects_bad_targets(tiny_pipe, tiny_fer):
    with pytest.raises(ValueError, match="unknown emotion"):
        SemanticGuidance(classifier=tiny_fer, target="bored")
    with pytest.raises(ValueError, match="last_fraction"):
        SemanticGuidance(classifier=tiny_fer, last_fraction=0.0)
    sg = SemanticGuidance(classifier=tiny_fer)
    with pytest.raises(ValueError, match="unknown emotion"):
        tiny_pipe(np.zeros((32, 32, 3), np.uint8), "x", guidance_weights=np.full(5, 9.0), num_frames=5,
                  size=32, semantic_guidance=sg, targets=["bored"])


def test_default_classifier_is_the_face_stage_fer_net(tiny_pipe, grace_hopper):
    """classifier=None uses argen_rl.face.fer's FER2013 mini-Xception; a step still lowers its CE."""
    sg = SemanticGuidance(lambda_g=0.05, target="surprise")
    sched = tiny_pipe.components.scheduler
    sched.set_timesteps(10)
    t = sched.timesteps[8]
    with torch.no_grad():
        ref = tiny_pipe.encode_frames(tiny_pipe.preprocess(np.ascontiguousarray(grace_hopper[::4, ::4]), 32)[None])
        queue = ref[:, :, None].repeat(1, 1, 4, 1, 1)
        x = sched.add_noise(queue, torch.randn(queue.shape, generator=torch.Generator().manual_seed(1)), t[None])
        emb = tiny_pipe.encode_prompt(["a surprised woman"])
    target = torch.tensor([Emotion.SURPRISE.index])
    new_emb, before = sg.update(tiny_pipe, x, t, emb, target)
    with torch.no_grad():
        after = sg.loss(tiny_pipe, x, t, new_emb, target)
    assert after.item() < before.item()


def test_guidance_on_another_device_or_dtype_leaves_the_shared_fer_net_alone(tiny_components, grace_hopper):
    """The FER net is cached once per process and shared by the calibration expert, the image
    embedder and Serve's policy path. Guided sampling in bf16 (as on a GPU) and a classifier call
    on the meta device must not move it: afterwards a fresh classifier still reads fp32 CPU frames."""
    import copy

    from argen_rl.face.fer import ExpressionClassifier, _cached_fer
    from argen_rl.generation.ti2v import TI2VPipeline
    from argen_rl.generation.ti2v.components import prepare_components

    shared = _cached_fer(None)
    pipe = TI2VPipeline(prepare_components(copy.deepcopy(tiny_components), torch.device("cpu"), torch.bfloat16),
                        window=4)
    out = pipe(np.ascontiguousarray(grace_hopper[::4, ::4]), "a surprised woman", guidance_weights=np.full(3, 9.0),
               num_inference_steps=2, num_frames=3, size=32,
               semantic_guidance=SemanticGuidance(lambda_g=0.05, last_fraction=0.5), targets=["surprise"])
    assert len(out.guidance_losses[0]) == 2
    meta_logits = ExpressionClassifier().logits_from_rgb(torch.zeros(2, 3, 32, 32, device="meta"))
    assert meta_logits.device.type == "meta" and meta_logits.shape == (2, 7)
    params = list(shared.parameters())
    assert {p.device.type for p in params} == {"cpu"} and {p.dtype for p in params} == {torch.float32}
    probs = ExpressionClassifier().predict_proba(np.ascontiguousarray(grace_hopper)[None])
    assert probs.shape == (1, 7) and abs(float(probs.sum()) - 1) < 1e-4


def test_guidance_with_mixed_steps_guides_each_request_over_its_own_last_steps(tiny_pipe, grace_hopper, tiny_fer):
    sg = SemanticGuidance(classifier=tiny_fer, lambda_g=0.05, last_fraction=0.5)
    face = np.ascontiguousarray(grace_hopper[::4, ::4])
    out = tiny_pipe([face, face], ["a frightened woman", "a surprised woman"], guidance_weights=np.full(3, 9.0),
                    num_inference_steps=[2, 4], resample=[1, 0], num_frames=3, size=32, seeds=[1, 2],
                    semantic_guidance=sg, targets=[Emotion.FEAR, Emotion.SURPRISE])
    # 2 runs x ceil(0.5 S) guided steps (once per step, not per resample)
    assert [len(x) for x in out.guidance_losses] == [2 * 1, 2 * 2]
    alone = tiny_pipe(face, "a surprised woman", guidance_weights=np.full(3, 9.0), num_inference_steps=4,
                      num_frames=3, size=32, seeds=2, semantic_guidance=sg, targets=[Emotion.SURPRISE])
    np.testing.assert_allclose(out.guidance_losses[1], alone.guidance_losses[0], rtol=1e-4)
    torch.testing.assert_close(out.latents[1:], alone.latents, rtol=0, atol=2e-4)
