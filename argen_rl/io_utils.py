"""Atomic file writes: write to a temp file in the same folder, then rename.

Nothing a run already wrote is ever left half-written: a crash mid-write leaves the old file
(or no file), never a truncated one.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temp path next to ``path``; on success rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes owner-only (0600) files; give the result the usual umask-based mode
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a temp folder next to ``path``; on success it replaces ``path`` in one rename.

    The folder gets the umask's mode (mkdtemp makes 0700). An existing ``path`` is moved aside
    first and deleted after the rename, so readers see the old tree or the new one, never a mix.
    """
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    old: Path | None = None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
            os.replace(path, old / "x")
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


# the names atomic_path / atomic_dir give their temps: "." + target name + "." + mkstemp's 8
# random characters (+ the suffix), or ".<name>.old.<8>" for the moved-aside old folder
_TEMP_NAME = re.compile(r"^\..+\.(old\.)?[a-z0-9_]{8}(\.[A-Za-z0-9]{1,8})?$")


def remove_stale_temps(folder: str | Path, prefix: str = ".") -> list[Path]:
    """Remove the temps that ``atomic_path`` / ``atomic_dir`` leave in ``folder`` when their
    process is killed (SIGKILL, OOM, power loss): hidden entries named like theirs, starting with
    ``prefix``, owned by this user, with mkstemp's / mkdtemp's owner-only mode (0600 / 0700; a
    finished write has the umask's mode). Call it only on folders this program writes into.
    Returns what was removed."""
    import shutil

    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    uid = os.getuid()
    with os.scandir(folder) as it:
        for entry in it:
            if not (entry.name.startswith(prefix) and _TEMP_NAME.match(entry.name)):
                continue
            st = entry.stat(follow_symlinks=False)
            mode = st.st_mode & 0o777
            if st.st_uid != uid or entry.is_symlink():
                continue
            p = folder / entry.name
            if entry.is_dir() and mode == 0o700:
                shutil.rmtree(p, ignore_errors=True)
            elif entry.is_file() and mode == 0o600:
                p.unlink(missing_ok=True)
            else:
                continue
            removed.append(p)
    return removed


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n")


def write_jsonl(path: str | Path, rows: list[dict[str, Any]]) -> Path:
    """Write all rows atomically (one JSON object per line)."""
    return atomic_write_text(path, "".join(json.dumps(r, default=str) + "\n" for r in rows))


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}: not valid JSON: {err}") from None
    return out


def save_figure(fig, path: str | Path, dpi: int = 100) -> Path:
    """Save a matplotlib figure as PNG atomically and close it (frees its memory)."""
    import matplotlib.pyplot as plt

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
    return Path(path)
