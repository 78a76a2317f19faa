"""Expression timing per emotion: how fast an expression may start and how long its apex may hold.

The naturalness reward r_N (``argen_rl.rewards.naturalness``) and the fixed judge's naturalness
(``argen_rl.metrics.fixed_judge``) compare a clip's intensity trajectory with these numbers:

- ``onset_min_s``: the shortest plausible onset (neutral -> apex). A step that covers more of the
  expression than ``1 / (onset_min_s * fps)`` in one frame is a jump.
- ``apex_max_s``: the longest plausible stretch held at the apex without change. A longer frozen
  stretch is penalised.

Where they come from, in order of preference:

1. the dataset's own clips, when enough of them have measurable dynamics
   (``measure_timings``: flow trajectories that start near neutral and rise clearly);
2. else the FACS timing literature (``LITERATURE``):

   - onset: Yan, Wu, Liang, Chen & Fu (2013), "How fast are the leaked facial expressions: the
     duration of micro-expressions", J. Nonverbal Behavior 37(4): micro-expressions have onsets
     of at most ~260 ms; anything faster than that is not a macro-expression's onset. Spontaneous
     smiles take about half a second to build (Cohn & Schmidt 2004, "The timing of facial motion
     in posed and spontaneous smiles", IJWMIP 2(2)), so 0.26 s is a floor, not a typical value.
   - apex: macro-expressions last about 0.5 to 4 s in total (Ekman & Friesen 1982, "Felt, false,
     and miserable smiles", J. Nonverbal Behavior 6(4), for smiles; Matsumoto & Hwang 2011,
     "Evidence for training the ability to read microexpressions of emotion", Motivation and
     Emotion 35(2)). We allow an unchanged apex of at most half the upper bound, 2 s, leaving
     the rest for onset and offset. Surprise is the briefest expression (Ekman & Friesen 1975,
     "Unmasking the Face", ch. 4): its apex may hold at most 1 s.

The apex bound is our reading of those totals, not a measured apex duration; a dataset with
measurable dynamics replaces it (``measure_timings``).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from argen_rl.types import Emotion

ONSET_MIN_S = 0.26
"""Micro-expression onset bound (Yan et al. 2013): a macro-expression builds more slowly."""
APEX_MAX_S = 2.0
"""Half of the ~4 s upper bound of a macro-expression (Ekman & Friesen 1982; Matsumoto & Hwang 2011)."""
SURPRISE_APEX_MAX_S = 1.0
"""Surprise is the briefest expression (Ekman & Friesen 1975)."""


@dataclass(frozen=True)
class EmotionTiming:
    onset_min_s: float
    """Shortest plausible onset, seconds."""
    apex_max_s: float
    """Longest plausible unchanged apex, seconds."""
    source: str = "literature"
    """"literature" or "dataset (n clips)"."""


LITERATURE: dict[Emotion, EmotionTiming] = {
    e: EmotionTiming(ONSET_MIN_S, SURPRISE_APEX_MAX_S if e is Emotion.SURPRISE else APEX_MAX_S)
    for e in Emotion
}

MIN_PEAK = 0.3
"""A clip is measurable when its flow trajectory (``clip_measures.flow_trajectory``, px at 64 px)
peaks at least this high: twice a still face's 0.14, i.e. it starts near neutral and clearly
moves (warp expressions at FACS 2.5 reach 0.4-0.96)."""
MIN_CLIPS = 3
"""Measurable clips an emotion needs before the dataset's numbers replace the literature's."""


@dataclass(frozen=True)
class TrajectoryTiming:
    """Timing of one intensity trajectory (frame 0 = the neutral start)."""

    onset_s: float          # 10 % -> 90 % of the peak on the rise before the apex
    apex_s: float           # longest stretch at >= 90 % of the peak
    peak: float


def trajectory_timing(x: np.ndarray, fps: float) -> TrajectoryTiming:
    """Onset and apex durations of one intensity trajectory (NaN frames are interpolated)."""
    x = fill_nan(np.asarray(x, np.float64))
    peak = float(x.max())
    if peak <= 0:
        return TrajectoryTiming(0.0, 0.0, 0.0)
    s = x / peak
    apex = int(np.argmax(s))
    rise = s[:apex + 1]
    lo = int(np.flatnonzero(rise >= 0.1)[0]) if (rise >= 0.1).any() else 0
    hi = int(np.flatnonzero(rise >= 0.9)[0])
    return TrajectoryTiming((hi - lo) / fps, longest_run(s >= 0.9) / fps, peak)


def fill_nan(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN entries (all NaN -> zeros)."""
    x = np.asarray(x, np.float64).copy()
    bad = ~np.isfinite(x)
    if bad.all():
        return np.zeros_like(x)
    if bad.any():
        idx = np.arange(len(x))
        x[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    return x


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True."""
    best = cur = 0
    for m in np.asarray(mask, bool):
        cur = cur + 1 if m else 0
        best = max(best, cur)
    return best


def measure_timings(clips: Iterable[tuple[np.ndarray, float, Emotion]],
                    min_clips: int = MIN_CLIPS) -> dict[Emotion, EmotionTiming]:
    """Per-emotion timings from real clips ``(frames (T,H,W,3) uint8, fps, emotion)``.

    Each clip's flow trajectory (the one r_N reads: ``clip_measures.flow_from_frames``)
    is its intensity course; a clip is measurable when it peaks >= ``MIN_PEAK``. An emotion
    with at least ``min_clips`` measurable clips gets
    ``onset_min_s`` = half the median onset (an onset twice as fast as the dataset's typical one
    is a jump; never below ``ONSET_MIN_S``) and ``apex_max_s`` = twice the median apex
    (never below one frame); others keep the literature's numbers.
    """
    from argen_rl.rewards.clip_measures import flow_from_frames

    measured: dict[Emotion, list[TrajectoryTiming]] = {}
    for frames, fps, emotion in clips:
        t = trajectory_timing(flow_from_frames(frames), fps)
        if t.peak >= MIN_PEAK:
            measured.setdefault(Emotion.parse(emotion), []).append(t)
    out = dict(LITERATURE)
    for e, ts in measured.items():
        if len(ts) >= min_clips:
            onset = float(np.median([t.onset_s for t in ts]))
            apex = float(np.median([t.apex_s for t in ts]))
            out[e] = EmotionTiming(max(ONSET_MIN_S, 0.5 * onset), max(2.0 * apex, 1e-3),
                                   f"dataset ({len(ts)} clips)")
    return out


def save_timings(timings: dict[Emotion, EmotionTiming], path: str | Path) -> Path:
    from argen_rl.io_utils import atomic_write_json

    return atomic_write_json(Path(path), {e.value: asdict(t) for e, t in timings.items()})


def load_timings(path: str | Path | None) -> dict[Emotion, EmotionTiming]:
    """The literature table, with the emotions a timings JSON (``save_timings``) lists replaced."""
    out = dict(LITERATURE)
    if path is None:
        return out
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object emotion -> timing")
    for name, t in data.items():
        try:
            timing = EmotionTiming(float(t["onset_min_s"]), float(t["apex_max_s"]), str(t.get("source", "file")))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}: bad timing for {name!r}: {err}") from None
        if not (timing.onset_min_s > 0 and timing.apex_max_s > 0):
            raise ValueError(f"{path}: timing for {name!r} must be positive")
        out[Emotion.parse(name)] = timing
    return out


def timing_table(timings: dict[Emotion, EmotionTiming], emotions: Sequence[Emotion]) -> list[dict]:
    """Rows for a report: emotion, onset_min_s, apex_max_s, source."""
    return [{"emotion": e.value, **asdict(timings[e])} for e in emotions]


def dataset_timings(root: str | Path, fps: float, per_class: int = 8, max_frames: int = 64
                    ) -> dict[Emotion, EmotionTiming]:
    """``measure_timings`` on up to ``per_class`` clips per emotion of a dataset in its official
    layout (``argen_rl.data.read_dataset``), read at ``fps`` (the dataset's frame rate; frame
    folders do not record it), at most ``max_frames`` frames each from the start."""
    from argen_rl.data import load_clip_frames, read_dataset

    index = read_dataset(Path(root), progress=False)
    taken: dict[Emotion, int] = {}
    clips = []
    for clip in index.clips:
        if taken.get(clip.emotion, 0) >= per_class or clip.emotion is Emotion.NEUTRAL:
            continue
        taken[clip.emotion] = taken.get(clip.emotion, 0) + 1
        clips.append(clip)
    return measure_timings((load_clip_frames(c, None)[:max_frames], fps, c.emotion) for c in clips)
