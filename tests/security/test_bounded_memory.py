"""Zip-bomb-like datasets: a frame folder with 100k entries, a split CSV with 10^6 rows of one clip
(and a clips.csv sidecar of 10^6 rows), a FERV39k split file of 10^6 lines. Indexing must stay
within a generous memory bound and give one clear reason.

Peak memory is measured in a fresh subprocess (``resource.getrusage`` high-water mark after the
imports vs. after indexing), so the numbers are not distorted by the test process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from argen_rl.video_io import write_image

BOUND_MB = 150     # generous: the inputs below are 4-40 MB on disk; a whole read costs far more
ROOT = Path(__file__).resolve().parents[2]

_PROBE = r"""
import json, resource, sys
from argen_rl.data import read_dataset
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
index = read_dataset(sys.argv[1], progress=False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grew_mb": (after - before) / 1024, "clips": [c.clip_id for c in index.clips],
                  "subjects": [c.subject for c in index.clips],
                  "skipped": [[s.clip_id, s.reason] for s in index.skipped][:20], "notes": index.notes[:10]}))
"""


def _index_in_subprocess(root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(root)], capture_output=True, text=True, env=env,
                         timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_100k_entry_frame_folder_is_refused_without_listing_it_whole(tmp_path, face64):
    root = tmp_path / "folder"
    write_image(root / "happy" / "honest" / "00001.jpg", face64)
    bomb = root / "happy" / "bomb"
    bomb.mkdir()
    for i in range(100_000):
        (bomb / f"{i:06d}.jpg").touch()
    r = _index_in_subprocess(root)
    assert r["clips"] == ["happy_honest"]
    (reason,) = [why for cid, why in r["skipped"] if cid == "happy_bomb"]
    assert "more than 10000 entries" in reason and "\n" not in reason
    assert r["grew_mb"] < BOUND_MB, r["grew_mb"]


def test_million_row_split_csv_of_one_clip(tmp_path, face64):
    root = tmp_path / "DFEW"
    for i in range(1, 5):
        write_image(root / "Clip" / "clip_224x224" / "00001" / f"{i:05d}.jpg", face64)
    split = root / "EmoLabel_DataSplit" / "test(single-labeled)"
    split.mkdir(parents=True)
    (split / "set_1.csv").write_text("video_name,label\n" + "1,1\n" * 1_000_000)
    (root / "clips.csv").write_text("clip_id,index_id,subject\n" + "00001,00001,subj_a\n" * 1_000_000
                                    + "00001,00001,../../pwned\n" * 10)
    r = _index_in_subprocess(root)
    assert r["clips"] == ["00001"] and r["subjects"] == ["subj_a"]
    assert r["skipped"] == []
    assert r["grew_mb"] < BOUND_MB, r["grew_mb"]


@pytest.mark.slow
def test_million_line_ferv39k_split(tmp_path, face64):
    root = tmp_path / "FERV39k"
    for i in range(1, 5):
        write_image(root / "2_ClipsforFaceCrop" / "Daily" / "Happy" / "0001" / f"{i:05d}.jpg", face64)
    setup = root / "4_setups" / "All_scenes"
    setup.mkdir(parents=True)
    (setup / "train_All.csv").write_text("Daily/Happy/0001 Happy\n" * 1_000_000)
    r = _index_in_subprocess(root)
    assert r["clips"] == ["Daily_Happy_0001"]
    assert [why for _, why in r["skipped"]] == ["listed twice; the first entry is kept"]   # once, not 10^6 times
    assert r["grew_mb"] < BOUND_MB, r["grew_mb"]
