"""Registry by name and mp4 + GIF + JSON provenance output."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from argen_rl.generation.provenance import write_video_with_provenance
from argen_rl.generation.registry import GENERATORS, make_generator
from argen_rl.generation.warp import WarpGenerator
from argen_rl.types import Emotion, GenParams, GenRequest
from argen_rl.video_io import read_video


def test_registry_names_and_errors():
    assert set(GENERATORS) >= {"warp", "ti2v"}
    g = make_generator("warp", {"head_roll_deg": 0.0})
    assert isinstance(g, WarpGenerator) and g.config.head_roll_deg == 0.0
    assert g.generator_id != make_generator("warp").generator_id
    with pytest.raises(ValueError, match="unknown generator 'sdxl'"):
        make_generator("sdxl")
    with pytest.raises(ValueError, match="model_dir"):
        make_generator("ti2v")
    with pytest.raises(Exception, match="unknown_key|Extra inputs"):
        make_generator("warp", {"unknown_key": 1})


def test_warp_path_imports_neither_torch_nor_diffusers(grace_hopper):
    """Checked in a fresh interpreter: the CPU generator must stay light to import."""
    code = ("import sys, numpy as np; from argen_rl.generation.registry import make_generator; "
            "from argen_rl.types import Emotion, GenParams, GenRequest; "
            "img = np.load(sys.argv[1]); g = make_generator('warp'); "
            "g.generate([GenRequest(img, '', Emotion.FEAR, {26: 3.0}, GenParams(steps=2, size=96))]); "
            "print('diffusers' in sys.modules, 'torch' in sys.modules)")
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".npy") as f:
        np.save(f.name, grace_hopper)
        out = subprocess.run([sys.executable, "-c", code, f.name], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["False", "False"]


def test_ti2v_missing_weights_fail_clearly(tmp_path):
    with pytest.raises(Exception, match=str(tmp_path / "nope")):
        make_generator("ti2v", {"model_dir": str(tmp_path / "nope")})


def test_write_video_with_provenance(tmp_path, grace_hopper):
    gen = make_generator("warp")
    req = GenRequest(grace_hopper, "a surprised person", Emotion.SURPRISE, {1: 4.0, 2: 4.0, 5: 3.0, 26: 4.0},
                     GenParams(steps=6, a=3.0, b=1.5, size=128, seed=5), context_id="ctx-1")
    video = gen.generate([req])[0]
    mp4, gif, side = write_video_with_provenance(tmp_path / "clips" / "ctx-1_s5", video, req, gen.generator_id)
    assert mp4.name == "ctx-1_s5.mp4" and gif.name == "ctx-1_s5.gif" and side.name == "ctx-1_s5.json"
    frames, fps = read_video(mp4)
    assert frames.shape == (16, 128, 128, 3) and fps == pytest.approx(video.fps)
    # H.264 is lossy but close to what was generated
    assert np.abs(frames.astype(int) - video.frames).mean() < 6
    rec = json.loads(side.read_text())
    assert rec["prompt"] == "a surprised person" and rec["emotion"] == "surprise"
    assert rec["target_aus"] == {"1": 4.0, "2": 4.0, "5": 3.0, "26": 4.0}
    assert rec["params"]["steps"] == 6 and rec["params"]["a"] == 3.0 and rec["seed"] == 5
    assert rec["generator_id"] == gen.generator_id and rec["generator_id"].endswith(rec["model_hash"])
    assert rec["context_id"] == "ctx-1" and len(rec["reference_sha1"]) == 40
    assert rec["generator_meta"]["warps"] == 6
    assert rec["files"] == {"mp4": mp4.name, "gif": gif.name}
    # nothing half-written is left behind
    assert sorted(p.name for p in (tmp_path / "clips").iterdir()) == ["ctx-1_s5.gif", "ctx-1_s5.json", "ctx-1_s5.mp4"]
    _, no_gif, _ = write_video_with_provenance(tmp_path / "b", video, req, gen.generator_id, gif=False)
    assert no_gif is None and not (tmp_path / "b.gif").exists()
