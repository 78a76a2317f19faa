"""Tree listings and hashes for tests that must prove a folder was not touched."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def tree_listing(folder: Path) -> list[str]:
    """Every entry under ``folder`` (relative, with type), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            kind = "l" if p.is_symlink() else "d" if p.is_dir() else "f"
            out.append(f"{kind} {p.relative_to(folder)}")
    return sorted(out)


def tree_hash(root: Path) -> str:
    """sha1 over every path, symlink target and file's bytes under ``root`` (symlinks not followed)."""
    h = hashlib.sha1()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = Path(dirpath) / name
            h.update(str(p.relative_to(root)).encode())
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()
