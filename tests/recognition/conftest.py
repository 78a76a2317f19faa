"""The DFEW-layout sample dataset and an augmented root, shared by the recognition tests."""
from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from argen_rl.data import build_sample_dataset
from argen_rl.video_io import read_frame_folder, write_image


@pytest.fixture(scope="session")
def roots(tmp_path_factory):
    """(original, augmented): the sample dataset with one corrupt clip (00002), and a copy
    with two extra fear clips listed in every fold's train CSV (no provenance sidecars)."""
    base = tmp_path_factory.mktemp("rec")
    orig = build_sample_dataset(base / "dfew", "dfew", seed=0)
    aug = base / "dfew_aug"
    shutil.copytree(orig, aug)
    # two "generated" fear clips: frames of an existing fear clip, mirrored
    src_id = None
    with open(orig / "EmoLabel_DataSplit" / "test(single-labeled)" / "set_1.csv") as fh:
        rows = list(csv.DictReader(fh))
    src_id = next((r["video_name"] for r in rows if r["label"] == "7"), rows[0]["video_name"])
    frames = read_frame_folder(orig / "Clip" / "clip_224x224" / f"{int(src_id):05d}")
    for new_id in ("90001", "90002"):
        for i, f in enumerate(frames[:, :, ::-1], 1):
            write_image(aug / "Clip" / "clip_224x224" / new_id / f"{i:05d}.jpg", np.ascontiguousarray(f))
        for k in range(1, 6):
            with open(aug / "EmoLabel_DataSplit" / "train(single-labeled)" / f"set_{k}.csv", "a") as fh:
                fh.write(f"{new_id},7\n")
    # one corrupt frame in the original data: that clip is skipped and reported, not fatal
    bad = sorted((orig / "Clip" / "clip_224x224" / "00002").iterdir())
    for f in bad:
        f.write_bytes(b"not a jpeg")
    return orig, aug
