"""Image embedding of an identity for the policy's observation (DESIGN §3, Eq. 13: s = (text, image)).

Default (offline): the FER2013 mini-Xception's pooled penultimate features of the face crop
(128-d) and the normalised face geometry (selected face-mesh points, centred on the stable
points, rotated so the eyes are level, scaled by the inter-ocular distance), each block
L2-normalised, concatenated. Optional: a CLIP vision encoder (``CLIPVisionModelWithProjection``)
from a local directory.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from argen_rl.face import landmarks as L

GEOMETRY_POINTS: tuple[int, ...] = tuple(dict.fromkeys(
    L.RIGHT_EYE + L.LEFT_EYE + L.RIGHT_BROW + L.LEFT_BROW + L.MOUTH_OUTER + L.NOSE + L.FACE_OVAL))


def normalised_geometry(lm: np.ndarray | None) -> np.ndarray:
    """(len(GEOMETRY_POINTS)*2,) float32; zeros when there are no landmarks."""
    n = len(GEOMETRY_POINTS) * 2
    if lm is None or not np.isfinite(lm).all():
        return np.zeros(n, np.float32)
    pts = lm.astype(np.float64)
    centre = pts[list(L.STABLE_POINTS)].mean(0)
    eye = pts[L.LEFT_EYE_OUTER] - pts[L.RIGHT_EYE_OUTER]
    iod = max(float(np.linalg.norm(eye)), 1e-6)
    ang = np.arctan2(eye[1], eye[0])
    c, s = np.cos(-ang), np.sin(-ang)
    rot = np.array([[c, -s], [s, c]])
    g = ((pts[list(GEOMETRY_POINTS)] - centre) @ rot.T) / iod
    return g.astype(np.float32).ravel()


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else v.astype(np.float32)


class FaceImageEmbedder:
    """FER penultimate features (+) normalised landmark geometry."""

    name = "fer+geometry"

    def __init__(self):
        from argen_rl.face.fer import ExpressionClassifier

        self.fer = ExpressionClassifier()

    def embed(self, image: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray:
        feat = self.fer.penultimate_features(image[None])[0]
        return np.concatenate([_unit(feat), _unit(normalised_geometry(landmarks))]).astype(np.float32)


class ClipImageEmbedder:
    """CLIP vision tower + projection from a local directory (e.g. openai/clip-vit-base-patch32)."""

    name = "clip"

    def __init__(self, model_dir: str | Path):
        d = Path(model_dir)
        if not (d / "config.json").is_file():
            raise FileNotFoundError(f"CLIP image encoder: {d} has no config.json; give a local CLIP model directory "
                                    "(e.g. a download of openai/clip-vit-base-patch32)")
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        self.model = CLIPVisionModelWithProjection.from_pretrained(d).eval()
        self.processor = CLIPImageProcessor.from_pretrained(d)

    def embed(self, image: np.ndarray, landmarks: np.ndarray | None = None) -> np.ndarray:
        import torch
        from PIL import Image

        x = self.processor(images=[Image.fromarray(image)], return_tensors="pt")
        with torch.no_grad():
            e = self.model(pixel_values=x["pixel_values"]).image_embeds[0].numpy()
        return _unit(e)


def make_image_embedder(clip_dir: str | Path | None = None):
    return ClipImageEmbedder(clip_dir) if clip_dir else FaceImageEmbedder()
