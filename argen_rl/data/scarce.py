"""Per-class counts and the scarce-class rule of ARGen §3.

ARGen calls a class scarce when its sample count is well below one seventh of the total AND its
baseline recognition accuracy is well below 50%. We read "well below total/7" as
``count < ratio * total / 7`` with ``ratio = 0.5`` by default (CLI ``--ratio``); the recall
condition applies only when a per-class recall report is given (``recall < max_recall``,
default 0.5). Totals use the 7 canonical classes only (CK+ contempt is not counted).
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from argen_rl.types import EMOTIONS7, Clip, Emotion


def class_counts(clips: Iterable[Clip]) -> dict[Emotion, int]:
    """Clips per class, every class of ``EMOTIONS7`` present (0 when absent), in that order;
    ``Emotion.CONTEMPT`` is appended only when some clip has it."""
    c = Counter(clip.emotion for clip in clips)
    out = {e: c.get(e, 0) for e in EMOTIONS7}
    if c.get(Emotion.CONTEMPT):
        out[Emotion.CONTEMPT] = c[Emotion.CONTEMPT]
    return out


def scarce_threshold(counts: dict[Emotion, int], ratio: float = 0.5) -> float:
    total = sum(counts.get(e, 0) for e in EMOTIONS7)
    return ratio * total / len(EMOTIONS7)


def scarce_classes(counts: dict[Emotion, int], recall: dict[Emotion, float] | None = None,
                   ratio: float = 0.5, max_recall: float = 0.5) -> list[Emotion]:
    """Scarce classes in ``EMOTIONS7`` order (ARGen §3; rule in the module docstring)."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    if sum(counts.get(e, 0) for e in EMOTIONS7) == 0:
        raise ValueError("no clips of the 7 canonical classes: cannot decide which are scarce")
    thr = scarce_threshold(counts, ratio)
    scarce = [e for e in EMOTIONS7 if counts.get(e, 0) < thr]
    if recall is None:
        return scarce
    missing = [e.value for e in scarce if e not in recall]
    if missing:
        raise ValueError(f"the recall report has no value for: {', '.join(missing)}")
    bad = {e.value: r for e, r in recall.items() if not 0.0 <= r <= 1.0}
    if bad:
        raise ValueError(f"recall must be a fraction in [0, 1] (not a percentage): {bad}")
    return [e for e in scarce if recall[e] < max_recall]


def load_recall_report(path: Path) -> dict[Emotion, float]:
    """Per-class recall of a baseline: JSON ``{"surprise": 0.41, ...}`` (optionally under a
    ``"recall"`` key) or CSV with columns ``emotion,recall``. A file whose largest value is > 1
    is read as percentages (all values divided by 100)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text())
        data = data.get("recall", data) if isinstance(data, dict) else data
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object emotion -> recall")
        raw = {k: float(v) for k, v in data.items()}
    else:
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"emotion", "recall"} <= set(reader.fieldnames):
                raise ValueError(f"{path}: CSV needs the columns emotion,recall; found {reader.fieldnames}")
            raw = {row["emotion"]: float(row["recall"]) for row in reader}
    out = {Emotion.parse(k): v for k, v in raw.items()}
    if out and max(out.values()) > 1.0:
        out = {k: v / 100.0 for k, v in out.items()}
    return out
