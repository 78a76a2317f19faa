import numpy as np
import pytest

from argen_rl.asi.image_embed import GEOMETRY_POINTS, ClipImageEmbedder, FaceImageEmbedder, normalised_geometry
from argen_rl.face.landmarks import FaceMesh


def test_geometry_is_invariant_to_position_scale_and_roll(grace_hopper):
    lm = FaceMesh().landmarks(grace_hopper)
    g = normalised_geometry(lm)
    assert g.shape == (2 * len(GEOMETRY_POINTS),)
    ang = np.deg2rad(12)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    moved = (lm @ rot.T) * 0.6 + np.array([40.0, -15.0])
    np.testing.assert_allclose(normalised_geometry(moved), g, atol=1e-4)
    assert not normalised_geometry(None).any()


def test_face_embedding_separates_identities(grace_hopper, astronaut):
    emb = FaceImageEmbedder()
    mesh = FaceMesh()
    a = emb.embed(grace_hopper, mesh.landmarks(grace_hopper))
    b = emb.embed(grace_hopper[:, ::-1].copy(), mesh.landmarks(grace_hopper[:, ::-1].copy()))
    c = emb.embed(astronaut, mesh.landmarks(astronaut))
    assert a.dtype == np.float32 and a.shape == c.shape and np.isclose(np.linalg.norm(a), np.sqrt(2), atol=1e-4)
    assert a @ b > a @ c          # the same person mirrored is closer than another person


def test_clip_encoder_from_a_local_dir(tmp_path, grace_hopper):
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    cfg = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=32, patch_size=8, projection_dim=16)
    CLIPVisionModelWithProjection(cfg).save_pretrained(tmp_path)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    e = ClipImageEmbedder(tmp_path).embed(grace_hopper)
    assert e.shape == (16,) and np.isclose(np.linalg.norm(e), 1.0, atol=1e-5)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        ClipImageEmbedder(tmp_path / "missing")
