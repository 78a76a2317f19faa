"""The one path policy for names and paths that come from untrusted files.

Datasets downloaded from strangers, their CSV / TXT / JSON files, uploads and configs name files.
Everything that turns such a name into a path goes through this module:

- ``check_name(name)``: an id, subject or video name is ONE path component: not empty, no ``/``
  or ``\\``, not ``.`` / ``..``, no NUL or other control character, at most 255 bytes.
- ``check_relpath(rel)``: a relative path from a file (FERV39k's ``Scene/Emotion/id``, a
  contexts row's ``identity_image``): no absolute path, no drive, no ``..`` part, no backslash, no
  control character.
- ``Root``: a trusted folder. ``root.child(rel)`` validates ``rel`` and resolves it
  (``Path.resolve()``); the result must stay under the root (``is_relative_to``). A symlink whose
  target lies outside the root is refused (the readers skip that clip with the reason) unless the
  root was made with ``follow_symlinks=True`` (``--follow-symlinks``; off by default).
- ``safe_name(name)`` / ``output_path(root, *names)``: every output path is built from sanitised
  components under the output root; a name that had to change gets a short hash so two distinct
  names never map to one file.
- ``shorten(value)``: how user input appears in an error message (a few dozen characters at most).

Every rejection is an ``UnsafePathError`` (a ``ValueError``) with a one-line reason.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

MAX_COMPONENT_BYTES = 255      # the usual file-name limit (ext4, xfs, apfs)
MAX_SHOWN = 40                 # characters of user input an error message may repeat
MAX_FOLDER_ENTRIES = 10_000    # entries a clip folder may hold (DFEW clips have < 200 frames)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNSAFE_OUT = re.compile(r"[^A-Za-z0-9._-]")


class UnsafePathError(ValueError):
    """A name or path from an untrusted file that the policy refuses (one-line reason)."""


def shorten(value: object, limit: int = MAX_SHOWN) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages that echo user input."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit - 12]}...' ({len(str(value))} chars)"


def shown_id(value: str) -> str:
    """An id as a report may list it: unchanged when short and printable, else ``shorten``ed."""
    value = str(value)
    if len(value) <= MAX_SHOWN and value.isprintable():
        return value
    return shorten(value)


def _check_chars(text: str, what: str) -> None:
    if not isinstance(text, str):
        raise UnsafePathError(f"{what} must be text, got {type(text).__name__}")
    if not text.strip():
        raise UnsafePathError(f"{what} is empty")
    m = _CONTROL.search(text)
    if m:
        raise UnsafePathError(f"{what} {shorten(text)} contains a control character ({m.group()!r})")


def _check_component(part: str, what: str, whole: str) -> None:
    if part in (".", ".."):
        raise UnsafePathError(f"{what} {shorten(whole)} contains {part!r}")
    if len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT_BYTES:
        raise UnsafePathError(f"{what} {shorten(whole)} has a component longer than {MAX_COMPONENT_BYTES} bytes")


def check_name(name: str, what: str = "name") -> str:
    """An id / subject / video name usable as ONE path component, else ``UnsafePathError``."""
    _check_chars(name, what)
    if "/" in name or "\\" in name:
        raise UnsafePathError(f"{what} {shorten(name)} contains a path separator")
    _check_component(name, what, name)
    return name


def check_relpath(rel: str, what: str = "path") -> tuple[str, ...]:
    """The components of a relative path from a file (``/``-separated), else ``UnsafePathError``."""
    _check_chars(rel, what)
    if "\\" in rel:
        raise UnsafePathError(f"{what} {shorten(rel)} contains a backslash")
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        raise UnsafePathError(f"{what} {shorten(rel)} is an absolute path")
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts:
        raise UnsafePathError(f"{what} {shorten(rel)} names no file")
    for p in parts:
        _check_component(p, what, rel)
    return tuple(parts)


@dataclass(frozen=True)
class Root:
    """A trusted folder; paths under it are checked with ``child`` / ``check``."""

    path: Path
    """The folder as given (paths built from it keep its spelling)."""
    real: Path
    """The folder resolved (symlinks followed): what containment is checked against."""
    follow_symlinks: bool = False
    """Allow symlinks whose target lies outside the root (off by default)."""
    linked: tuple[Path, ...] = ()
    """Other resolved folders a symlink may lead into: the original dataset an augmented root
    was mirrored from (recorded by the augment writer)."""

    @classmethod
    def of(cls, path: str | Path, follow_symlinks: bool = False, linked: tuple[Path, ...] = ()) -> "Root":
        path = Path(path)
        return cls(path, path.resolve(), follow_symlinks, tuple(Path(p).resolve() for p in linked))

    def escape(self, path: Path) -> str | None:
        """Why ``path`` (under the root) may not be used, or None: its resolved target leaves the root."""
        try:
            target = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:           # not there (yet): where it would be
            target = Path(os.path.realpath(path))
        except (OSError, RuntimeError, ValueError) as err:   # symlink loop, NUL
            return f"cannot be resolved ({getattr(err, 'strerror', None) or type(err).__name__})"
        if self.follow_symlinks or target.is_relative_to(self.real) or any(target.is_relative_to(p) for p in self.linked):
            return None
        return (f"symlink leaves the dataset root (-> {shorten(str(target), 80)}); "
                "pass --follow-symlinks (follow_symlinks: true) to allow it")

    def check(self, path: Path, what: str = "path") -> Path:
        """``path`` unchanged if it stays under the root after resolving, else ``UnsafePathError``."""
        why = self.escape(path)
        if why:
            raise UnsafePathError(f"{what} {shorten(str(path), 80)}: {why}")
        return path

    def child(self, rel: str, what: str = "path") -> Path:
        """``root / rel`` after ``check_relpath`` and the containment check."""
        return self.check(self.path.joinpath(*check_relpath(str(rel), what)), what)

    def name(self, folder: Path, name: str, what: str = "name") -> Path:
        """``folder / name`` (``folder`` under the root) after ``check_name`` and the containment check."""
        return self.check(Path(folder) / check_name(name, what), what)


def safe_name(name: str, max_len: int = 100) -> str:
    """A file-name-safe form of an untrusted name: ``[A-Za-z0-9._-]`` kept, anything else ``_``,
    no leading dot, at most ``max_len`` characters; a changed name gets ``-<8 hex>`` of its
    SHA-1 so distinct inputs stay distinct. Names that are already safe come back unchanged."""
    name = str(name)
    out = _UNSAFE_OUT.sub("_", name).lstrip(".")
    if out == name and 0 < len(out) <= max_len:
        return out
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{(out or '_')[:max_len - 9]}-{digest}"


def output_path(root: str | Path, *names: str, suffix: str = "") -> Path:
    """``root / safe_name(n1) / ... / safe_name(nk) + suffix``, checked to resolve inside ``root``
    (``suffix`` is ours, e.g. ".png"; the names are untrusted)."""
    root = Path(root)
    if not names:
        raise ValueError("output_path needs at least one name")
    parts = [safe_name(n) for n in names]
    parts[-1] += suffix
    path = root.joinpath(*parts)
    real_root = root.resolve()
    if not path.resolve().is_relative_to(real_root):
        raise UnsafePathError(f"refusing to write {shorten(str(path), 80)}: it resolves outside {root}")
    return path
