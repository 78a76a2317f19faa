"""Loading a clip's frames: 16-frame uniform sampling with last-frame padding."""
from __future__ import annotations

import numpy as np

from argen_rl.types import Clip
from argen_rl.video_io import (FrameReadError, count_video_frames, read_image, read_video, read_video_sampled,
                               sample_indices, stack_frames)


def load_clip_frames(clip: Clip, n: int | None = 16) -> np.ndarray:
    """uint8 T x H x W x 3 RGB frames of ``clip``.

    ``n`` frames are taken uniformly over the clip; a clip shorter than ``n`` is padded by
    repeating its last frame (``video_io.sample_indices``). ``n=None`` returns every frame.
    Only the sampled frame files are decoded. Raises ``FrameReadError`` naming the bad file.
    """
    if clip.frames is not None:
        if not clip.frames:
            raise FrameReadError(f"clip {clip.clip_id} has no frames")
        idx = np.arange(len(clip.frames)) if n is None else sample_indices(len(clip.frames), n)
        decoded = {i: read_image(clip.frames[i]) for i in dict.fromkeys(idx.tolist())}
        return stack_frames([decoded[i] for i in idx.tolist()])
    if n is None:
        return read_video(clip.video_path)[0]
    return read_video_sampled(clip.video_path, n)   # keeps only the n sampled frames in memory


def verify_clip(clip: Clip) -> str | None:
    """Decode every frame of ``clip``; the FrameReadError message if one fails, else None."""
    try:
        if clip.frames is not None:
            for f in clip.frames:
                read_image(f)
        else:
            count_video_frames(clip.video_path)
    except FrameReadError as err:
        return str(err)
    return None
