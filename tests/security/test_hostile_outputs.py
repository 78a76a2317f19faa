"""Writers fed hostile names, and a writer killed mid-write.

- a ``clips.csv`` subject of ``../../../..<elsewhere>/pwned``: the sample-contexts builder (what
  ``argen augment run`` with ``build_sample_contexts: true`` calls; now the ASI stage itself)
  once wrote ``identities/{subject}.png`` unsanitised, creating ``<elsewhere>/pwned.png``; every
  output path is now built from sanitised names under the output root;
- a SIGKILL inside a clip write (``atomic_dir``) leaves a hidden 0700 temp folder; the next
  ``argen augment run`` of the same config removes it (and a half-built mirror next to ``out``).
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from argen_rl.data import build_sample_dataset
from tests.security.conftest import audited, touched_inside, tree_hash, tree_listing

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hostile_sample(tmp_path_factory):
    """The DFEW sample dataset whose clips.csv names one subject by a path traversal and another
    by a name full of shell / path characters; contexts built from it once."""
    from argen_rl.asi.sample_contexts import ensure_sample_contexts

    base = tmp_path_factory.mktemp("hostile_out")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("nothing may appear next to me\n")
    root = build_sample_dataset(base / "dataset", "dfew")
    traversal = "../" * 24 + str(elsewhere / "pwned").lstrip("/")
    rows = list(csv.DictReader(open(root / "clips.csv", newline="")))
    for r in rows:
        if r["subject"] == "astronaut":
            r["subject"] = traversal
        elif r["subject"] == "hopper":
            r["subject"] = "Grace Hopper; rm -rf ~ & $(id)"
    with open(root / "clips.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    listing, before = tree_listing(elsewhere), tree_hash(root)
    out = base / "contexts"
    with audited() as seen:
        contexts = ensure_sample_contexts(out, root, max_identities=12, frames_per_clip=2)
    return {"base": base, "root": root, "elsewhere": elsewhere, "out": out, "contexts": contexts,
            "listing": listing, "before": before, "seen": seen}


def test_subject_names_cannot_place_files_outside_the_output_root(hostile_sample):
    s = hostile_sample
    assert not (s["elsewhere"] / "pwned.png").exists()
    assert tree_listing(s["elsewhere"]) == s["listing"], "a file was created outside the output root"
    assert touched_inside(s["seen"], s["elsewhere"]) == []
    assert tree_hash(s["root"]) == s["before"], "the dataset was modified"
    identities = s["out"] / "identities"
    written = sorted(p.name for p in identities.iterdir())
    assert written and all(p.parent == identities for p in identities.iterdir())
    assert all(n.replace("-", "").replace("_", "").replace(".", "").isalnum() for n in written), written
    rows = [json.loads(line) for line in open(s["contexts"])]
    for r in rows:
        img = (s["out"] / r["identity_image"]).resolve()
        assert img.is_relative_to(s["out"].resolve()) and img.is_file(), r["identity_image"]
    subjects = {r["subject"] for r in rows}
    assert not any("/" in (x or "") for x in subjects)             # the traversal never became a subject
    assert "Grace Hopper; rm -rf ~ & $(id)" in subjects              # a legal name is kept, its FILE is sanitised


def _die_inside_atomic_dir(dest: Path) -> None:
    """A process that SIGKILLs itself half-way through atomic_dir(dest): exactly what a killed
    clip write leaves behind."""
    code = ("import os, sys; from pathlib import Path; from argen_rl.io_utils import atomic_dir\n"
            "with atomic_dir(Path(sys.argv[1])) as tmp:\n"
            "    (tmp / '00001.jpg').write_bytes(b'half a frame')\n"
            "    os.kill(os.getpid(), 9)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-c", code, str(dest)], env=env, cwd=ROOT, timeout=60)
    assert r.returncode == -signal.SIGKILL


def _hidden(folder: Path, prefix: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix))


def test_rerun_removes_the_temps_of_its_killed_run(hostile_sample, tmp_path):
    from argen_rl.augment.config import AugmentConfig
    from argen_rl.augment.writer import META_DIR, augment

    s = hostile_sample
    out = tmp_path / "augmented"
    cfg = AugmentConfig.model_validate({
        "dataset": str(s["root"]), "out": str(out), "contexts": str(s["contexts"]), "target_count": 4,
        "generation": {"generator": "warp", "frames": 8, "size": 64}, "calibration": {"enabled": False},
        "flush_every": 1})
    _die_inside_atomic_dir(out)                   # killed while building the mirror
    mine = tmp_path / ".augmented.user_notes"     # a user's hidden folder with a similar name stays
    mine.mkdir()
    first = augment(cfg, progress=False)
    assert _hidden(tmp_path, ".augmented.") == [mine.name]
    # kill the run again while it writes its last clip: drop that clip, leave a temp in its place
    records = [json.loads(line) for line in open(out / META_DIR / "manifest.jsonl")]
    last = records[-1]
    clip_dir = out / last["path"]
    (out / META_DIR / "clips" / f"{last['clip_id']}.json").unlink()
    for f in clip_dir.iterdir():
        f.unlink()
    clip_dir.rmdir()
    _die_inside_atomic_dir(clip_dir)
    stale = _hidden(clip_dir.parent, ".argen_")
    assert len(stale) == 1 and (clip_dir.parent / stale[0]).stat().st_mode & 0o777 == 0o700
    second = augment(cfg, progress=False)
    assert _hidden(clip_dir.parent, ".argen_") == []                 # the killed write's temp is gone
    assert second.written_now == 1 and clip_dir.is_dir() and len(list(clip_dir.iterdir())) == 8
    assert second.per_class == first.per_class
    assert tree_hash(s["root"]) == s["before"]
