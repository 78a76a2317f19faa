"""Loading a diffusers-layout T2V folder, clear errors when it is missing, and the Generator API."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from argen_rl.generation.base import Generator
from argen_rl.generation.registry import make_generator
from argen_rl.generation.ti2v import TI2VGenerator, check_model_dir
from argen_rl.generation.ti2v.random_init import save_components
from argen_rl.types import Emotion, GenParams, GenRequest


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_components):
    return save_components(tiny_components, tmp_path_factory.mktemp("t2v") / "tiny-ms")


def test_missing_model_dir_names_the_folder_and_where_to_get_weights(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*text-to-video-ms-1.7b"):
        TI2VGenerator({"model_dir": str(tmp_path / "nope")})


def test_incomplete_model_dir_names_each_missing_piece(model_dir, tmp_path):
    broken = shutil.copytree(model_dir, tmp_path / "broken")
    shutil.rmtree(broken / "vae")
    for name in ("merges.txt", "tokenizer.json"):
        (broken / "tokenizer" / name).unlink(missing_ok=True)
    with pytest.raises(FileNotFoundError) as err:
        check_model_dir(broken)
    msg = str(err.value)
    assert "vae/ (AutoencoderKL)" in msg and "tokenizer/merges.txt or tokenizer.json" in msg and "unet" not in msg


def test_unknown_config_key_is_an_error(model_dir):
    with pytest.raises(ValueError, match="windw"):
        TI2VGenerator({"model_dir": str(model_dir), "windw": 4})


def test_generator_loads_folder_and_batches_requests(model_dir, grace_hopper, astronaut):
    gen = make_generator("ti2v", {"model_dir": str(model_dir), "window": 4, "max_batch": 2})
    assert isinstance(gen, TI2VGenerator) and isinstance(gen, Generator)
    assert gen.generator_id.startswith("ti2v-") and "float32" in gen.generator_id
    face = np.ascontiguousarray(grace_hopper[::4, ::4])
    p1 = GenParams(steps=2, frames=5, size=32, seed=1)
    p2 = GenParams(steps=3, a=4.0, b=1.5, frames=4, size=32, seed=2)
    reqs = [GenRequest(face, "surprise", Emotion.SURPRISE, {1: 3.0, 2: 3.0, 26: 4.0}, p1, "c1"),
            GenRequest(np.ascontiguousarray(astronaut[::8, ::8]), "fear", Emotion.FEAR, {}, p2, "c2"),
            GenRequest(face, "surprise", Emotion.SURPRISE, {}, p1, "c3")]
    videos = gen.generate(reqs)
    assert [v.frames.shape for v in videos] == [(5, 32, 32, 3), (4, 32, 32, 3), (5, 32, 32, 3)]
    assert videos[1].meta["params"]["steps"] == 3 and videos[1].meta["context_id"] == "c2"
    assert len(videos[0].meta["guidance_weights"]) == 5
    np.testing.assert_array_equal(videos[0].frames, videos[2].frames)   # same request, same seed
    again = TI2VGenerator({"model_dir": str(model_dir), "window": 4})
    assert again.generator_id == gen.generator_id
