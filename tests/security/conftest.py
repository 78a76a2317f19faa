"""Hostile-input fixtures: a sentinel folder OUTSIDE every root, a recorder of every file Python
opens or lists (``sys.addaudithook``), atime probes for reads done in C (OpenCV's video decoder),
tree listings and hashes to prove nothing was created, changed or read where it must not be."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from tests.tree_tools import tree_hash, tree_listing  # noqa: F401  (re-exported for the tests)

_ACTIVE: list[list[str]] = []
_EVENTS = {"open", "os.listdir", "os.scandir"}


def _hook(event: str, args: tuple) -> None:
    if not _ACTIVE or event not in _EVENTS or not args:
        return
    path = args[0]
    if isinstance(path, (str, bytes, os.PathLike)):
        _ACTIVE[-1].append(os.fsdecode(path))


sys.addaudithook(_hook)   # audit hooks cannot be removed: it records only inside audited()


@contextmanager
def audited():
    """Record every path Python opens or lists in the block (C-level opens are not seen: see atime)."""
    seen: list[str] = []
    _ACTIVE.append(seen)
    try:
        yield seen
    finally:
        _ACTIVE.remove(seen)


def touched_inside(seen: list[str], folder: Path) -> list[str]:
    """Recorded paths that resolve inside ``folder`` (through symlinks)."""
    real = Path(folder).resolve()
    return sorted({p for p in seen if Path(os.path.realpath(p)).is_relative_to(real)})


class Sentinel:
    """A folder outside every root holding 'secret' media the hostile datasets point at.

    ``unread()`` checks no byte of its files was read, by Python (audit) or C (atime: each file's
    atime is set before its mtime, so relatime records the next read; skipped where the file
    system does not update atime)."""

    def __init__(self, path: Path, frame: np.ndarray):
        from argen_rl.video_io import write_image, write_mp4

        self.path = path
        self.clip = path / "secret_clip"
        for i in range(1, 5):
            write_image(self.clip / f"{i:05d}.jpg", frame)
        self.video = write_mp4(path / "secret.mp4", np.stack([frame] * 4), fps=4)
        self.files = sorted(p for p in path.rglob("*") if p.is_file())
        for f in self.files:
            st = f.stat()
            os.utime(f, (st.st_mtime - 3600, st.st_mtime))
        self.atimes = {f: f.stat().st_atime for f in self.files}
        self.listing = tree_listing(path)
        self.atime_works = _atime_works(path.parent)

    def unchanged(self) -> bool:
        return tree_listing(self.path) == self.listing

    def read_by_c(self) -> list[Path]:
        if not self.atime_works:
            return []
        return [f for f in self.files if f.stat().st_atime != self.atimes[f]]


def _atime_works(folder: Path) -> bool:
    probe = folder / ".atime_probe"
    probe.write_bytes(b"x")
    st = probe.stat()
    os.utime(probe, (st.st_mtime - 3600, st.st_mtime))
    before = probe.stat().st_atime
    probe.read_bytes()
    works = probe.stat().st_atime != before
    probe.unlink()
    return works


@pytest.fixture(scope="session")
def face64(astronaut) -> np.ndarray:
    import cv2

    return cv2.resize(astronaut[20:240, 120:330], (64, 64), interpolation=cv2.INTER_AREA)


@pytest.fixture
def sentinel(tmp_path, face64) -> Sentinel:
    return Sentinel(tmp_path / "elsewhere", face64)


def one_line(reason: str) -> bool:
    return "\n" not in reason and 0 < len(reason) <= 400
