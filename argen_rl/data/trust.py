"""What the dataset readers share for untrusted trees (the rules are ``argen_rl.paths``).

- ``frames_trust``: the root a reader's clip folders must stay under;
- ``file_error``: a one-line skip reason for a split / label file that could not be read;
- ``read_text_head``: the first bytes of a small label file (never a whole huge one).
"""
from __future__ import annotations

import json
from pathlib import Path

from argen_rl.paths import Root, check_relpath


def dataset_trust(root: Path, follow_symlinks: bool = False) -> Root:
    """The trust of a dataset root: the root itself, plus, for an augmented root written by
    ``argen augment``, the original dataset its symlinks lead to (``_argen_augment/run.json``'s
    ``source``, accepted only if it is a folder holding a dataset layout)."""
    from argen_rl.data.readers import detect_kind

    linked: tuple[Path, ...] = ()
    run = Path(root) / "_argen_augment" / "run.json"
    if run.is_file() and Root.of(root).escape(run) is None:
        try:
            source = Path(json.loads(read_text_head(run, 1_000_000)).get("source", ""))
            if source.is_absolute() and source.is_dir() and source.resolve() != Path(root).resolve():
                detect_kind(source)
                linked = (source,)
        except (ValueError, OSError, AttributeError):
            linked = ()
    return Root.of(root, follow_symlinks, linked)


def frames_trust(trusted: Root, frames_root: Path, frames_dir: str | None) -> Root:
    """The root clip folders must stay under: the dataset root, or an absolute ``frames_dir``
    the user named (their explicit choice). A relative ``frames_dir`` is checked like any
    relative path; a frame folder that is itself a symlink out of the dataset root is refused as
    a whole (``UnsafePathError``), since every clip under it would be."""
    if frames_dir is not None and Path(frames_dir).is_absolute():
        return Root.of(frames_root, trusted.follow_symlinks, trusted.linked)
    if frames_dir is not None:
        check_relpath(frames_dir, "frames_dir")
    if frames_root.exists():
        trusted.check(frames_root, "frame folder")
    return trusted


def file_error(err: Exception) -> str:
    """One-line reason for a file that could not be read as a whole."""
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8 text (bad byte at offset {err.start}); file ignored"
    text = str(err)
    if len(text) > 160:
        text = text[:150] + " ..."
    return text if text.endswith("file ignored") else f"{text}; file ignored"


def read_text_head(path: Path, max_bytes: int = 65_536) -> str:
    """The first ``max_bytes`` of a small text file (label / FACS files are a few lines)."""
    with open(path, "rb") as fh:
        return fh.read(max_bytes).decode("utf-8", errors="replace")
