"""Helpers for the data tests: write small real-photo frames into official dataset layouts."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from argen_rl.video_io import write_image


@pytest.fixture(scope="session")
def face64(astronaut) -> np.ndarray:
    """The astronaut's face, 64x64 (small frames keep the fixtures fast)."""
    return cv2.resize(astronaut[20:240, 120:330], (64, 64), interpolation=cv2.INTER_AREA)


@pytest.fixture
def write_frames(face64):
    """write_frames(folder, n, ext=".jpg", names=None) -> list of written paths (real photo,
    brightness varying per frame so frames differ)."""

    def _write(folder: Path, n: int, ext: str = ".jpg", names: list[str] | None = None) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for i in range(n):
            img = np.clip(face64.astype(np.int16) + 4 * i, 0, 255).astype(np.uint8)
            name = names[i] if names else f"{i + 1:05d}{ext}"
            out.append(write_image(folder / name, img))
        return out

    return _write



@pytest.fixture(scope="session")
def sample_root(tmp_path_factory):
    """sample_root(layout) -> a sample dataset in that layout, built once per test session."""
    from argen_rl.data import build_sample_dataset

    cache: dict[str, Path] = {}

    def _get(layout: str) -> Path:
        if layout not in cache:
            cache[layout] = build_sample_dataset(tmp_path_factory.mktemp(f"sample_{layout}") / "root", layout)
        return cache[layout]

    return _get
