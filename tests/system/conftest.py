"""A tiny ModelScope-style T2V model SAVED in the diffusers folder layout (what a user downloads
and ``from_pretrained(local_dir)`` reads): the true classes with a few channels, random weights."""
from __future__ import annotations

from pathlib import Path

import pytest

TOKENIZER_DIR = Path(__file__).resolve().parents[1] / "generation" / "ti2v" / "fixtures" / "tiny_clip_tokenizer"


@pytest.fixture(scope="session")
def tiny_t2v_dir(tmp_path_factory):
    from argen_rl.generation.ti2v.random_init import random_components, save_components

    return save_components(random_components("tiny", TOKENIZER_DIR, seed=0), tmp_path_factory.mktemp("t2v") / "tiny-ms")


@pytest.fixture(scope="session")
def ti2v_generation(tiny_t2v_dir) -> dict:
    """The ``generation:`` block every stage takes, pointing at the saved tiny model."""
    return {"generator": "ti2v", "frames": 3, "size": 64, "resample": 1,
            "generator_config": {"model_dir": str(tiny_t2v_dir), "window": 4, "device": "cpu"}}
