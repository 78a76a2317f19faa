"""The policy's state s (ARGen Eq. 13): the context's text and identity-image embeddings.

One definition, used by the env's observations, Serve and the augmentation writer, so a policy
trained in the env sees the same vector wherever it acts.
"""
from __future__ import annotations

import numpy as np


def state_vector(text_emb: np.ndarray, image_emb: np.ndarray) -> np.ndarray:
    """concat(text_emb, image_emb) as float32; ArgenPolicyModule splits it at text_dim."""
    return np.concatenate([np.asarray(text_emb, np.float32).ravel(),
                           np.asarray(image_emb, np.float32).ravel()])
