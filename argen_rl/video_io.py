"""Video IO: the one place that reads and writes frames, mp4 and GIF.

- frame folders (jpg/png/bmp, natural sort) and mp4/avi files are read to uint8 TxHxWx3 RGB;
- mp4 is written with H.264 (libx264, yuv420p) through imageio-ffmpeg's bundled ffmpeg binary,
  so no system ffmpeg is needed; GIF through Pillow;
- every write is atomic (temp file + rename);
- an unreadable frame raises ``FrameReadError`` naming the file, so dataset readers can skip the
  clip and report why.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from argen_rl.io_utils import atomic_path

if TYPE_CHECKING:
    from argen_rl.paths import Root

FRAME_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm")


class FrameReadError(IOError):
    """A frame or video file is missing, truncated or not decodable."""


def _natural_key(p: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def list_frames(folder: str | Path, root: "Root | None" = None,
                max_entries: int | None = None) -> list[Path]:
    """Frame files of a folder in natural order (frame2 before frame10).

    ``root`` (``argen_rl.paths.Root``): every frame must stay under it after resolving symlinks,
    else ``UnsafePathError``. ``max_entries``: a folder with more entries than this raises
    ``FrameReadError`` after reading only that many (a 100k-entry folder costs no memory).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FrameReadError(f"frame folder not found: {folder}")
    out = []
    with os.scandir(folder) as it:
        for n, entry in enumerate(it, 1):
            if max_entries is not None and n > max_entries:
                raise FrameReadError(f"frame folder holds more than {max_entries} entries: {folder}")
            if Path(entry.name).suffix.lower() not in FRAME_EXTS:
                continue
            p = folder / entry.name
            if root is not None and entry.is_symlink():
                root.check(p, "frame")
            out.append(p)
    return sorted(out, key=_natural_key)


MAX_FRAME_BYTES = 64_000_000     # a frame file larger than this is not read
MAX_FRAME_PIXELS = 40_000_000    # nor one whose header claims more pixels (e.g. 8000 x 5000)


def read_image(path: str | Path) -> np.ndarray:
    """One image file -> uint8 HxWx3 RGB. Raises FrameReadError if missing or undecodable.

    The format is taken from the content, not the extension (a JPEG named .png decodes, and its
    truncation is still caught); only JPEG / PNG / WebP / BMP are decoded, and only after the
    header's size passed ``MAX_FRAME_PIXELS``.
    """
    from argen_rl.image_header import FRAME_FORMATS

    path = Path(path)
    if not path.is_file():
        raise FrameReadError(f"missing frame: {path}")
    size = path.stat().st_size
    if size > MAX_FRAME_BYTES:
        raise FrameReadError(f"image file is {size} bytes, more than the {MAX_FRAME_BYTES} byte limit: {path}")
    try:
        return decode_image_bytes(path.read_bytes(), FRAME_FORMATS, MAX_FRAME_PIXELS)
    except ValueError as err:
        raise FrameReadError(f"{err}: {path}") from None


def _jpeg_complete(data: np.ndarray) -> bool:
    # libjpeg silently pads a truncated file with grey; a complete JPEG ends with FF D9
    # (possibly followed by a few padding bytes).
    tail = data[-16:].tobytes()
    return b"\xff\xd9" in tail


def decode_image_bytes(data: bytes, formats: tuple[str, ...] = ("JPEG", "PNG", "WebP", "BMP"),
                       max_pixels: int | None = None) -> np.ndarray:
    """Image bytes -> uint8 HxWx3 RGB; ValueError with a one-line reason otherwise.

    Only ``formats`` (by magic bytes, ``argen_rl.image_header``) are decoded, and only when the
    header's width x height is at most ``max_pixels``: nothing else reaches OpenCV's decoders.
    """
    from argen_rl.image_header import image_info, sniff_format

    info = image_info(data) if data else None
    if info is None or info.format not in formats:
        fmt = sniff_format(data) if data else None
        if fmt in formats:
            raise ValueError(f"corrupt {fmt}: damaged header (no image size)")
        raise ValueError(f"corrupt or unreadable image (not {'/'.join(formats)} by its content)")
    if max_pixels is not None and info.pixels > max_pixels:
        raise ValueError(f"the image is {info.width}x{info.height} pixels; the limit is {max_pixels} pixels")
    arr = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"corrupt or truncated {info.format}")
    if info.format == "JPEG" and not _jpeg_complete(arr):
        raise ValueError("truncated JPEG (no end-of-image marker)")
    if img.shape[0] * img.shape[1] != info.pixels:
        raise ValueError(f"the {info.format} decodes to {img.shape[1]}x{img.shape[0]}, "
                         f"not the {info.width}x{info.height} of its header")
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


MAX_VIDEO_PIXELS = 8_300_000     # per frame (3840 x 2160); larger streams are not decoded


def _open_video(path: Path):
    if not path.is_file():
        raise FrameReadError(f"missing video: {path}")
    if path.stat().st_size == 0:
        raise FrameReadError(f"empty video file (0 bytes): {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise FrameReadError(f"cannot open video: {path}")
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    if w * h > MAX_VIDEO_PIXELS:
        cap.release()
        raise FrameReadError(f"video frames are {w}x{h}, more than {MAX_VIDEO_PIXELS} pixels: {path}")
    return cap


def read_video(path: str | Path, max_frames: int | None = None) -> tuple[np.ndarray, float]:
    """mp4/avi/... -> (uint8 TxHxWx3 RGB, fps)."""
    path = Path(path)
    cap = _open_video(path)
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


def count_video_frames(path: str | Path) -> int:
    """Decodable frames of a video, counted by decoding without keeping any (bounded memory)."""
    path = Path(path)
    cap = _open_video(path)
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    if n == 0:
        raise FrameReadError(f"no decodable frames in video: {path}")
    return n


def read_video_sampled(path: str | Path, n: int) -> np.ndarray:
    """``n`` frames uniformly over a video (``sample_indices``), keeping only those in memory."""
    path = Path(path)
    idx = sample_indices(count_video_frames(path), n)
    want = set(idx.tolist())
    cap = _open_video(path)
    kept: dict[int, np.ndarray] = {}
    i = 0
    while i <= idx[-1] and cap.grab():
        if i in want:
            ok, fr = cap.retrieve()
            if not ok:
                break
            kept[i] = cv2.cvtColor(fr, cv2.COLOR_BGR2RGB)
        i += 1
    cap.release()
    if len(kept) != len(want):
        raise FrameReadError(f"video changed or failed while reading: {path}")
    return np.stack([kept[j] for j in idx.tolist()])


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
