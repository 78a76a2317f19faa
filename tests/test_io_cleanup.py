"""remove_stale_temps removes exactly what a killed atomic_path / atomic_dir leaves, nothing else."""
from __future__ import annotations

import os
import tempfile

from argen_rl.io_utils import atomic_dir, atomic_write_text, remove_stale_temps


def test_only_owner_only_temps_with_atomic_names_go(tmp_path):
    dead_dir = tempfile.mkdtemp(prefix=".clip_7.", dir=tmp_path)          # what atomic_dir leaves (0700)
    fd, dead_file = tempfile.mkstemp(prefix=".x.json.", suffix=".json", dir=tmp_path)   # atomic_path (0600)
    os.close(fd)
    with atomic_dir(tmp_path / "done") as t:                              # finished writes keep their names
        (t / "f").write_text("x")
    atomic_write_text(tmp_path / "done.json", "{}")
    (tmp_path / ".user_cache").mkdir()                                    # not a temp name
    mine = tmp_path / ".notes.abcdefgh"
    mine.mkdir(mode=0o755)                                                # temp-like name, but not 0700
    os.chmod(mine, 0o755)
    removed = sorted(p.name for p in remove_stale_temps(tmp_path))
    assert removed == sorted([os.path.basename(dead_dir), os.path.basename(dead_file)])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".notes.abcdefgh", ".user_cache", "done", "done.json"])
    assert remove_stale_temps(tmp_path / "missing") == []
