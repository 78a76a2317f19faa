"""What every reader returns: the clips it could index and the ones it skipped, with reasons."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from argen_rl.types import Clip


@dataclass(frozen=True)
class SkippedClip:
    """A clip (or a CSV row / file standing for one) that was not indexed, and why."""

    clip_id: str
    path: str
    reason: str


@dataclass
class DatasetIndex:
    """The clips of one dataset in its official layout.

    ``skipped`` lists everything left out (missing folder, label out of range, unknown emotion,
    undecodable frame when verified, ...), so nothing is dropped silently. ``facs`` holds CK+'s
    FACS codes per clip id (AU number -> intensity 0..5, 0 = present, intensity not coded);
    ``notes`` holds non-fatal problems (e.g. an unparsable FACS line) that did not drop a clip.
    """

    name: str
    root: Path
    clips: list[Clip]
    skipped: list[SkippedClip] = field(default_factory=list)
    facs: dict[str, dict[int, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    train_sets: dict[str, frozenset[int]] = field(default_factory=dict)
    """DFEW: clip id -> the sets whose train CSV lists it (``dfew_split`` honours it)."""
    _reported: set[tuple[str, str]] = field(default_factory=set, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.clips)

    def skip(self, clip_id: str, path: str | Path, reason: str) -> None:
        # DFEW lists each clip in several CSVs: report each (clip, reason) once, at its first place
        # (a set, so a CSV with a million bad rows of one clip costs one entry, not O(n^2) time)
        key = (str(clip_id), reason)
        if key not in self._reported:
            self._reported.add(key)
            self.skipped.append(SkippedClip(str(clip_id), str(path), reason))
