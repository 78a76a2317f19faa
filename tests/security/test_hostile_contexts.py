"""A contexts.jsonl from someone else names its identity images: they must stay in its folder."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from argen_rl.asi.contexts import load_contexts, write_contexts
from argen_rl.types import Context, Emotion
from argen_rl.video_io import write_image
from tests.security.conftest import audited, touched_inside


def _ctx(img, i=1):
    return Context(f"c{i}", img, Emotion.FEAR, "p", [1], {1: 1.0}, text_emb=np.zeros(4, np.float32),
                   image_emb=np.zeros(3, np.float32))


@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlink"])
def test_identity_images_outside_the_folder_are_refused(tmp_path, sentinel, face64, where):
    folder = tmp_path / "ctx"
    write_contexts(folder, [_ctx(write_image(folder / "identities" / "a.png", face64))])
    secret = sentinel.clip / "00001.jpg"
    rows = [json.loads(line) for line in open(folder / "contexts.jsonl")]
    if where == "absolute":
        rows[0]["identity_image"] = str(secret)
    elif where == "dotdot":
        rows[0]["identity_image"] = os.path.relpath(secret, folder)
    else:
        (folder / "identities" / "b.jpg").symlink_to(secret)
        rows[0]["identity_image"] = "identities/b.jpg"
    (folder / "contexts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with audited() as seen, pytest.raises(ValueError, match="contexts.jsonl:1: bad context row: identity_image") as err:
        load_contexts(folder)
    assert "\n" not in str(err.value)
    assert touched_inside(seen, sentinel.path) == [] and sentinel.unchanged()


def test_written_contexts_are_self_contained(tmp_path, face64):
    elsewhere = write_image(tmp_path / "other" / "face one.png", face64)
    folder = tmp_path / "ctx"
    write_contexts(folder, [_ctx(elsewhere)])
    row = json.loads((folder / "contexts.jsonl").read_text())
    assert not os.path.isabs(row["identity_image"]) and row["identity_image"].startswith("identities/")
    (back,) = load_contexts(folder)
    assert back.identity_image.resolve().is_relative_to(folder.resolve()) and back.identity_image.is_file()
