"""Contact strips: one generated clip per emotion on one real face, frames side by side.

Used by the demo report ("a strip per emotion on a real face") and by docs/generation.md's
figures. Each emotion gets the knowledge base's prototype AUs at intensities sampled the way
ASI writes them into contexts (``AUKnowledgeBase.sample_intensities``, 1.0..3.5 and the
records' source letters), so the strip shows what the system actually generates.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from argen_rl.types import Emotion, GenParams, GenRequest

STRIP_EMOTIONS = (Emotion.SURPRISE, Emotion.FEAR, Emotion.DISGUST, Emotion.HAPPY, Emotion.SAD, Emotion.ANGRY)


def emotion_strips(generator, image: np.ndarray, emotions: Sequence[Emotion] = STRIP_EMOTIONS, seed: int = 0,
                   shown: int = 6, side: int = 96, steps: int = 8, a: float = 2.0, b: float = 2.0,
                   frames: int = 16, size: int = 256) -> tuple[np.ndarray, list[dict]]:
    """(uint8 image with one row per emotion: label, then ``shown`` evenly spaced frames of its
    clip; per-row records with the target AUs, the frames shown and the apex frame)."""
    from argen_rl.asi.config import RetrievalConfig
    from argen_rl.asi.kb import load_kb

    kb = load_kb()
    rc = RetrievalConfig()
    rows, records = [], []
    for k, emotion in enumerate(emotions):
        proto = [r for r in kb.records_for(emotion) if r.prototype]
        aus = kb.sample_intensities(proto, np.random.default_rng([seed, k]), low=rc.intensity_low,
                                    high=rc.intensity_high)
        req = GenRequest(image, f"a {emotion.value} face", emotion, aus,
                         GenParams(steps=steps, a=a, b=b, frames=frames, size=size, seed=seed + k))
        video = generator.generate([req])[0]
        idx = np.unique(np.round(np.linspace(0, len(video.frames) - 1, shown)).astype(int))
        tiles = [cv2.resize(video.frames[i], (side, side), interpolation=cv2.INTER_AREA) for i in idx]
        label = np.full((side, side, 3), 255, np.uint8)
        cv2.putText(label, emotion.value, (4, side // 2 - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
        au_text = " ".join(f"{au}:{v:.1f}" for au, v in sorted(aus.items()))
        for j, chunk in enumerate(_wrap(au_text, 14)):
            cv2.putText(label, chunk, (4, side // 2 + 12 + 12 * j), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (60, 60, 60), 1,
                        cv2.LINE_AA)
        rows.append(np.concatenate([label] + tiles, axis=1))
        records.append({"emotion": emotion.value, "target_aus": {str(a): float(v) for a, v in sorted(aus.items())},
                        "frames": idx.tolist(), "apex_frame": video.meta.get("apex_frame"),
                        "action": {"steps": steps, "a": a, "b": b}, "seed": seed + k})
    return np.concatenate(rows, axis=0), records


def _wrap(text: str, width: int) -> list[str]:
    out, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return out + ([line] if line else [])
