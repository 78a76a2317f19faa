import json

import numpy as np
import pytest

from argen_rl.asi.contexts import load_contexts, write_contexts
from argen_rl.types import Context, Emotion
from argen_rl.video_io import write_image


def _ctx(tmp_path, i, emo=Emotion.FEAR):
    img = write_image(tmp_path / "identities" / f"id{i}.png", np.full((8, 8, 3), i, np.uint8))
    return Context(f"c{i}", img, emo, f"prompt {i}", [1, 2], {1: 1.5, 2: 2.25},
                   text_emb=np.full(384, i, np.float32), image_emb=np.full(10, -i, np.float32),
                   source_clip=f"clip{i}", subject=None, writer="template")


def test_round_trip_with_relative_paths(tmp_path):
    ctxs = [_ctx(tmp_path, 1), _ctx(tmp_path, 2, Emotion.SURPRISE)]
    path = write_contexts(tmp_path, ctxs, meta=[{"records": ["a"]}, {"records": ["b"]}])
    assert path == tmp_path / "contexts.jsonl"
    row = json.loads(path.read_text().splitlines()[0])
    assert row["identity_image"] == "identities/id1.png" and row["intensities"] == {"1": 1.5, "2": 2.25}
    assert row["meta"] == {"records": ["a"]}
    moved = tmp_path.rename(tmp_path.parent / "moved")          # the folder is self-contained
    back = load_contexts(moved)
    assert [c.context_id for c in back] == ["c1", "c2"]
    assert back[1].emotion is Emotion.SURPRISE and back[0].intensities == {1: 1.5, 2: 2.25}
    assert back[0].identity_image == moved / "identities" / "id1.png" and back[0].identity_image.is_file()
    np.testing.assert_array_equal(back[1].text_emb, np.full(384, 2, np.float32))
    np.testing.assert_array_equal(back[1].image_emb, np.full(10, -2, np.float32))
    assert load_contexts(moved / "contexts.jsonl")[0].prompt == "prompt 1"


def test_bad_inputs_fail_before_anything_is_written(tmp_path):
    c = _ctx(tmp_path, 1)
    c.text_emb = None
    with pytest.raises(ValueError, match="contexts without text_emb: \\['c1'\\]"):
        write_contexts(tmp_path / "out", [c])
    with pytest.raises(ValueError, match="duplicate context ids"):
        write_contexts(tmp_path / "out", [_ctx(tmp_path, 1), _ctx(tmp_path, 1)])
    assert not (tmp_path / "out" / "contexts.jsonl").exists()


def test_misaligned_embeddings_are_reported(tmp_path):
    write_contexts(tmp_path, [_ctx(tmp_path, 1), _ctx(tmp_path, 2)])
    np.save(tmp_path / "image_emb.npy", np.zeros((3, 10), np.float32))
    with pytest.raises(ValueError, match="does not match 2 contexts"):
        load_contexts(tmp_path)
    (tmp_path / "text_emb.npy").unlink()
    with pytest.raises(FileNotFoundError, match="text_emb.npy is missing"):
        load_contexts(tmp_path)
