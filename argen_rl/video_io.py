"""Video IO: the one place that reads and writes frames, mp4 and GIF.

- frame folders (jpg/png/bmp, natural sort) and mp4/avi files are read to uint8 TxHxWx3 RGB;
- mp4 is written with H.264 (libx264, yuv420p) through imageio-ffmpeg's bundled ffmpeg binary,
  so no system ffmpeg is needed; GIF through Pillow;
- every write is atomic (temp file + rename);
- an unreadable frame raises ``FrameReadError`` naming the file, so dataset readers can skip the
  clip and report why.
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from argen_rl.io_utils import atomic_path

FRAME_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


class FrameReadError(IOError):
    """A frame or video file is missing, truncated or not decodable."""


def _natural_key(p: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def list_frames(folder: str | Path) -> list[Path]:
    """Frame files of a folder in natural order (frame2 before frame10)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FrameReadError(f"frame folder not found: {folder}")
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in FRAME_EXTS), key=_natural_key)


def read_image(path: str | Path) -> np.ndarray:
    """One image file -> uint8 HxWx3 RGB. Raises FrameReadError if missing or undecodable."""
    path = Path(path)
    if not path.is_file():
        raise FrameReadError(f"missing frame: {path}")
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise FrameReadError(f"corrupt or unreadable image: {path}")
    if path.suffix.lower() in (".jpg", ".jpeg") and not _jpeg_complete(data):
        raise FrameReadError(f"truncated JPEG (no end-of-image marker): {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _jpeg_complete(data: np.ndarray) -> bool:
    # libjpeg silently pads a truncated file with grey; a complete JPEG ends with FF D9
    # (possibly followed by a few padding bytes).
    tail = data[-16:].tobytes()
    return b"\xff\xd9" in tail


def decode_image_bytes(data: bytes) -> np.ndarray:
    """Uploaded image bytes -> uint8 HxWx3 RGB; ValueError with a clear message otherwise."""
    arr = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR) if arr.size else None
    if img is None:
        raise ValueError("the upload is not a decodable image (PNG/JPEG/BMP/WebP expected)")
    if data[:2] == b"\xff\xd8" and not _jpeg_complete(arr):
        raise ValueError("the uploaded JPEG is truncated")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def write_image(path: str | Path, img: np.ndarray) -> Path:
    path = Path(path)
    ok, buf = cv2.imencode(path.suffix or ".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    if not ok:
        raise IOError(f"could not encode image for {path}")
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.tobytes())
    return path


def read_frame_folder(folder: str | Path) -> np.ndarray:
    """All frames of a folder -> uint8 TxHxWx3 (frames resized to the first frame's size)."""
    files = list_frames(folder)
    if not files:
        raise FrameReadError(f"no frames in {folder}")
    return stack_frames([read_image(f) for f in files])


def stack_frames(frames: list[np.ndarray]) -> np.ndarray:
    h, w = frames[0].shape[:2]
    out = [f if f.shape[:2] == (h, w) else cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames]
    return np.stack(out).astype(np.uint8)


def read_video(path: str | Path, max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """mp4/avi/... -> (uint8 TxHxWx3 RGB, fps)."""
    path = Path(path)
    if not path.is_file():
        raise FrameReadError(f"missing video: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise FrameReadError(f"cannot open video: {path}")
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    frames = []
    while max_frames is None or len(frames) < max_frames:
        ok, fr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(fr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise FrameReadError(f"no decodable frames in video: {path}")
    return np.stack(frames), float(fps)


def sample_indices(n_frames: int, n: int = 16) -> np.ndarray:
    """Uniform sampling of ``n`` indices; clips shorter than ``n`` repeat their last frame."""
    if n_frames < 1:
        raise ValueError("clip has no frames")
    if n_frames >= n:
        return np.linspace(0, n_frames - 1, n).round().astype(int)
    return np.concatenate([np.arange(n_frames), np.full(n - n_frames, n_frames - 1)])


def _even(frames: np.ndarray) -> np.ndarray:
    # yuv420p needs even width and height
    h, w = frames.shape[1:3]
    return frames[:, : h - h % 2, : w - w % 2]


def write_mp4(path: str | Path, frames: np.ndarray, fps: float = 8.0, quality: int = 8) -> Path:
    """uint8 TxHxWx3 RGB -> H.264 mp4 (atomic)."""
    import imageio.v2 as imageio

    frames = _even(np.asarray(frames, dtype=np.uint8))
    with atomic_path(path, suffix=".mp4") as tmp:
        with imageio.get_writer(tmp, fps=fps, codec="libx264", quality=quality,
                                pixelformat="yuv420p", macro_block_size=1,
                                ffmpeg_log_level="error") as w:
            for f in frames:
                w.append_data(f)
    return Path(path)


def encode_mp4(frames: np.ndarray, fps: float = 8.0) -> bytes:
    """Frames -> mp4 bytes (for HTTP responses)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = write_mp4(Path(d) / "v.mp4", frames, fps)
        return p.read_bytes()


def write_gif(path: str | Path, frames: np.ndarray, fps: float = 8.0, max_side: int | None = 256) -> Path:
    """uint8 TxHxWx3 RGB -> looping GIF (atomic), optionally downscaled for reports."""
    from PIL import Image

    frames = np.asarray(frames, dtype=np.uint8)
    if max_side and max(frames.shape[1:3]) > max_side:
        s = max_side / max(frames.shape[1:3])
        size = (round(frames.shape[2] * s), round(frames.shape[1] * s))
        frames = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
    # fast octree palette per frame: Pillow's default median-cut quantiser takes ~0.25 s per
    # 256^2 frame (4 s for a 16-frame clip), octree ~6 ms
    imgs = [Image.fromarray(f).quantize(colors=256, method=Image.Quantize.FASTOCTREE) for f in frames]
    with atomic_path(path, suffix=".gif") as tmp:
        imgs[0].save(tmp, save_all=True, append_images=imgs[1:], duration=int(1000 / fps), loop=0)
    return Path(path)
