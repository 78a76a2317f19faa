"""`argen generate` end to end on a real photo, the curve plot, and its error exits."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
from typer.testing import CliRunner

from argen_rl.cli import app
from argen_rl.generation.prototypes import EMFACS_PROTOTYPES, parse_aus, prototype_aus
from argen_rl.types import Emotion
from argen_rl.video_io import read_video, write_image

GRACE = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
runner = CliRunner()


def test_generate_writes_mp4_gif_and_sidecar(tmp_path):
    res = runner.invoke(app, ["generate", "--generator", "warp", "--image", str(GRACE), "--emotion", "surprise",
                              "--out", str(tmp_path), "--steps", "8", "--a", "3", "--b", "1.5", "--seed", "2",
                              "--intensity", "4"])
    assert res.exit_code == 0, res.output
    stem = tmp_path / "grace_hopper_surprise_s2"
    frames, _ = read_video(stem.with_suffix(".mp4"))
    assert frames.shape == (16, 256, 256, 3)
    assert stem.with_suffix(".gif").stat().st_size > 10_000
    rec = json.loads(stem.with_suffix(".json").read_text())
    aus, _ = prototype_aus(Emotion.SURPRISE)
    assert rec["target_aus"] == {str(a): 4.0 for a in aus}
    assert rec["params"]["steps"] == 8 and rec["seed"] == 2


def test_generate_with_explicit_aus(tmp_path):
    res = runner.invoke(app, ["generate", "-i", str(GRACE), "-e", "fear", "--aus", "1:3,2:3,20,26:2",
                              "--intensity", "4", "-o", str(tmp_path), "--name", "f", "--no-gif"])
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "f.json").read_text())
    assert rec["target_aus"] == {"1": 3.0, "2": 3.0, "20": 4.0, "26": 2.0}
    assert not (tmp_path / "f.gif").exists()


def test_plot_curve_writes_png(tmp_path):
    res = runner.invoke(app, ["generate", "--plot-curve", "--a", "2", "--b", "5", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    png = tmp_path / "guidance_curve_a2_b5.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors_exit_nonzero_with_message(tmp_path):
    res = runner.invoke(app, ["generate", "-i", str(GRACE), "-e", "joy", "-o", str(tmp_path)])
    assert res.exit_code != 0 and "unknown emotion 'joy'" in res.output
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    res = runner.invoke(app, ["generate", "-i", str(bad), "-e", "fear", "-o", str(tmp_path)])
    assert res.exit_code != 0 and "broken.jpg" in res.output
    res = runner.invoke(app, ["generate", "-i", str(tmp_path / "missing.png"), "-e", "fear", "-o", str(tmp_path)])
    assert res.exit_code != 0 and "missing" in res.output
    blank = write_image(tmp_path / "blank.png", np.full((200, 200, 3), 90, np.uint8))
    res = runner.invoke(app, ["generate", "-i", str(blank), "-e", "fear", "-o", str(tmp_path)])
    assert res.exit_code != 0 and "no face" in res.output
    res = runner.invoke(app, ["generate", "-i", str(GRACE), "-e", "fear", "--aus", "3:2", "-o", str(tmp_path)])
    assert res.exit_code != 0 and "AU3" in res.output
    assert not list(tmp_path.glob("*.mp4"))


def test_prototypes_prefer_kb_and_parse_aus():
    aus, source = prototype_aus("surprise")
    assert set(aus) >= {1, 2, 26}
    if source == "asi-kb":
        from argen_rl.asi.kb import load_kb

        assert aus == load_kb().emotion_aus(Emotion.SURPRISE)
    else:
        assert tuple(aus) == EMFACS_PROTOTYPES[Emotion.SURPRISE]
    assert parse_aus("AU1:2.5, 26", default=4.0) == {1: 2.5, 26: 4.0}
