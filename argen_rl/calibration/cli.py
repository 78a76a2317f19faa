"""`argen calibrate CLIP... --label EMOTION`: the label calibrator of `argen augment` on files.

Each CLIP is a video file (mp4, avi, ...) or a folder of frames (natural order; frames that are
symlinks leading out of the folder are refused). ``--frames`` frames are taken uniformly over the
clip, the first one included: frame 0 is the neutral start the experts measure against. One JSON
line per clip on stdout: ``{"clip", "label", "accepted", "final_label", "votes", "probs"}`` plus
``mean_probs``, ``reason`` and ``unreadable``; exit 0. Bad input (missing file, undecodable video,
unknown label, invalid config) is one line on stderr and exit 2 (argen_rl.cli_errors).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import numpy as np
import typer


def read_clip(path: Path, frames: int) -> np.ndarray:
    """uint8 (T, H, W, 3) from a video file or a frame folder, ``frames`` uniform samples (0 = all)."""
    from argen_rl.paths import MAX_FOLDER_ENTRIES, Root
    from argen_rl.video_io import (FrameReadError, list_frames, read_image, read_video, read_video_sampled,
                                   sample_indices, stack_frames)

    try:
        if path.is_dir():
            files = list_frames(path, root=Root.of(path), max_entries=MAX_FOLDER_ENTRIES)
            if not files:
                raise FrameReadError(f"no frames in {path}")
            if frames:
                files = [files[i] for i in sample_indices(len(files), frames)]
            return stack_frames([read_image(f) for f in files])
        if not path.exists():
            raise FileNotFoundError(f"clip not found: {path}")
        return read_video_sampled(path, frames) if frames else read_video(path)[0]
    except FrameReadError as err:             # an IOError: make it the one-line bad-input error
        raise ValueError(str(err)) from None


def calibrate_command(
    clips: List[Path] = typer.Argument(..., help="Video files or frame folders (frame 0 = the neutral start)."),
    label: str = typer.Option(..., "--label", "-l", help="The emotion each clip is meant to show (7 classes)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Calibration YAML (CalibrationConfig "
                                          "fields: experts, rule, min_mean_prob, mode, n_peak, ...)."),
    recognizer: Optional[Path] = typer.Option(None, "--recognizer", help="A trained recognizer checkpoint "
                                              "(adds the 'recognizer' expert)."),
    frames: int = typer.Option(16, min=0, help="Frames sampled uniformly per clip (0 = every frame)."),
) -> None:
    """Judge clips with the SynFER-style expert ensemble; one JSON line per clip."""
    from argen_rl.calibration.calibrator import CalibrationConfig, build_calibrator
    from argen_rl.config import load_config
    from argen_rl.types import EMOTIONS7, Emotion

    emotion = Emotion.parse(label)
    if emotion not in EMOTIONS7:
        raise ValueError(f"--label must be one of {', '.join(e.value for e in EMOTIONS7)}, not {label!r}")
    cfg = load_config(config, CalibrationConfig) if config else CalibrationConfig()
    for p in clips:                           # every input checked before the models load
        if not p.exists():
            raise FileNotFoundError(f"clip not found: {p}")
    calibrator = build_calibrator(cfg, str(recognizer) if recognizer else None)
    for p in clips:
        v = calibrator.judge(read_clip(p, frames), emotion)
        typer.echo(json.dumps({"clip": str(p), **v.to_json()}))
