"""The frozen-CLIP baseline (DFER-CLIP's visual half) on a tiny random CLIP of the true
transformers architecture, saved to and loaded from a local folder as a user's weights would be."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from argen_rl.recognition.models import CLIP_MODEL, CLIPTemporalClassifier, build_model, load_clip_vision
from argen_rl.recognition.train import LAST, RecognitionConfig, train_model
from argen_rl.types import Clip, Emotion
from argen_rl.video_io import write_image


def _tiny_vision_config():
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                            image_size=32, patch_size=8)


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    from transformers import CLIPVisionModel

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("clip") / "clip-vit-tiny"
    CLIPVisionModel(_tiny_vision_config()).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def whole_clip_dir(tmp_path_factory):
    """A whole CLIPModel folder (text + vision), as openai/clip-vit-base-patch32 ships."""
    from transformers import CLIPConfig, CLIPModel

    text = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                vocab_size=100, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    path = tmp_path_factory.mktemp("clip") / "clip-whole"
    CLIPModel(CLIPConfig(text_config=text, vision_config=_tiny_vision_config().to_dict(),
                         projection_dim=16)).save_pretrained(path)
    return path


def test_loads_local_folders_and_freezes_the_backbone(clip_dir, whole_clip_dir):
    from transformers import CLIPVisionModel

    model = build_model(CLIP_MODEL, clip_dir=clip_dir)
    assert isinstance(model, CLIPTemporalClassifier)
    ref = CLIPVisionModel.from_pretrained(clip_dir)
    assert torch.equal(model.backbone.embeddings.patch_embedding.weight, ref.embeddings.patch_embedding.weight)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    model.train()
    assert not model.backbone.training and model.head.training
    out = model(torch.rand(2, 4, 3, 32, 32) * 2 - 1)
    assert out.shape == (2, 7)
    # the vision half of a whole CLIPModel checkpoint loads too
    assert load_clip_vision(whole_clip_dir).config.hidden_size == 32
    with pytest.raises(ValueError, match="set input_size: 32"):
        model(torch.zeros(1, 4, 3, 48, 48))


def test_missing_weights_name_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nowhere")):
        build_model(CLIP_MODEL, clip_dir=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="needs clip_dir"):
        build_model(CLIP_MODEL)
    _tiny_vision_config().save_pretrained(tmp_path / "config_only")     # config.json, no weights
    with pytest.raises(FileNotFoundError, match="config_only.*cannot load CLIP vision weights"):
        load_clip_vision(tmp_path / "config_only")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_clip_vision(tmp_path / "empty")


def test_training_moves_only_the_temporal_head(clip_dir, tmp_path, astronaut, grace_hopper):
    import cv2

    clips = []
    for e, img in ((Emotion.HAPPY, astronaut), (Emotion.NEUTRAL, grace_hopper)):
        for k in range(4):
            folder = tmp_path / f"{e.value}{k}"
            for t in range(4):
                write_image(folder / f"{t}.jpg", cv2.resize(img[10 * t + 5 * k:, 10 * t:], (40, 40)))
            clips.append(Clip(f"{e.value}{k}", e, frames=sorted(folder.iterdir())))
    cfg = RecognitionConfig(model=CLIP_MODEL, clip_dir=str(clip_dir), epochs=2, batch_size=4, input_size=32,
                            frames=4, val_fraction=0.0, lr=0.05, schedule="cosine")
    before = build_model(CLIP_MODEL, clip_dir=clip_dir).state_dict()
    res = train_model(cfg, cfg.dataset(clips, train=True), run_dir=tmp_path / "run", progress=False)
    after = res.model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith("backbone."))
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("head."))
    assert np.isfinite(res.history[-1]["train/loss"])
    # checkpoints hold the trainable part only (the frozen CLIP stays in the user's folder)
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / LAST, weights_only=False)
    assert ckpt["model"] and not any(k.startswith("backbone.") for k in ckpt["model"])
