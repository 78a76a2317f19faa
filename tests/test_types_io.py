import json

import numpy as np
import pytest

from argen_rl.config import ConfigError, StrictModel, load_config
from argen_rl.io_utils import atomic_write_json, read_jsonl, write_jsonl
from argen_rl.types import EMOTIONS7, Emotion, Video
from argen_rl.video_io import (FrameReadError, read_image, read_video, sample_indices, write_gif,
                               write_image, write_mp4)


def test_emotion_order_matches_dfew_labels():
    assert [e.value for e in EMOTIONS7] == ["happy", "sad", "neutral", "angry", "surprise", "disgust", "fear"]
    assert Emotion.from_index(4) is Emotion.SURPRISE and Emotion.FEAR.index == 6
    assert Emotion.parse("Fearful") is Emotion.FEAR
    with pytest.raises(ValueError, match="unknown emotion 'joy'"):
        Emotion.parse("joy")
    with pytest.raises(ValueError):
        Emotion.CONTEMPT.index


def test_video_rejects_wrong_dtype():
    with pytest.raises(ValueError, match="uint8"):
        Video(np.zeros((4, 8, 8, 3), np.float32))


def test_sample_indices_uniform_and_padding():
    np.testing.assert_array_equal(sample_indices(31, 16), np.linspace(0, 30, 16).round().astype(int))
    np.testing.assert_array_equal(sample_indices(5, 8), [0, 1, 2, 3, 4, 4, 4, 4])


def test_mp4_and_gif_round_trip(tmp_path, astronaut):
    frames = np.stack([np.roll(astronaut[::4, ::4], 3 * i, axis=1) for i in range(16)])
    mp4 = write_mp4(tmp_path / "v.mp4", frames, fps=8)
    back, fps = read_video(mp4)
    assert back.shape == frames.shape and fps == pytest.approx(8)
    assert np.abs(back.astype(int) - frames).mean() < 6  # lossy but close
    gif = write_gif(tmp_path / "v.gif", frames)
    assert gif.read_bytes()[:6] == b"GIF89a"
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


def test_truncated_jpeg_is_reported(tmp_path, astronaut):
    p = write_image(tmp_path / "f.jpg", astronaut)
    assert read_image(p).shape == astronaut.shape
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])
    with pytest.raises(FrameReadError, match="truncated"):
        read_image(p)
    with pytest.raises(FrameReadError, match="missing"):
        read_image(tmp_path / "nope.jpg")


class _Cfg(StrictModel):
    steps: int = 10
    """number of steps"""


class _Top(StrictModel):
    gen: _Cfg = _Cfg()


def test_config_errors_name_key_and_file(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("gen:\n  steps: many\n  stpes: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(p, _Top)
    msg = str(e.value)
    assert str(p) in msg and "gen.steps" in msg and "gen.stpes: unknown key" in msg
    p.write_text("gen:\n  steps: 4\n")
    assert load_config(p, _Top, overrides={"gen.steps": 7}).gen.steps == 7


def test_jsonl_and_atomic_json(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"x": 1}, {"x": 2}])
    assert read_jsonl(tmp_path / "a.jsonl") == [{"x": 1}, {"x": 2}]
    atomic_write_json(tmp_path / "b.json", {"k": [1, 2]})
    assert json.loads((tmp_path / "b.json").read_text()) == {"k": [1, 2]}


def test_atomic_writes_are_not_owner_only(tmp_path):
    import os
    import stat

    p = atomic_write_json(tmp_path / "m.json", {})
    mode = stat.S_IMODE(os.stat(p).st_mode)
    assert mode & stat.S_IRGRP, oct(mode)  # readable by others per umask (022 -> 0644)


def test_atomic_dir_replaces_whole_tree_or_nothing(tmp_path):
    import os
    import stat

    from argen_rl.io_utils import atomic_dir

    target = tmp_path / "ds"
    with atomic_dir(target) as d:
        (d / "a.txt").write_text("1")
    assert (target / "a.txt").read_text() == "1"
    assert stat.S_IMODE(os.stat(target).st_mode) & stat.S_IRGRP  # not mkdtemp's 0700
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as d:
            (d / "b.txt").write_text("2")
            raise RuntimeError("interrupted")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]  # old tree intact
    with atomic_dir(target) as d:
        (d / "b.txt").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]  # no temp folders left
