"""Streaming recognition clips: a torch ``Dataset`` over clips on disk (frame folders or videos).

Nothing is decoded up front. Each item is decoded when the ``DataLoader`` asks for it, in its
worker processes, through a bounded in-RAM cache of decoded frames, so memory does not grow with
the dataset. The recipe follows the public DFER training code (docs/recognition.md cites it):

- temporal sampling (``segment_indices`` / ``uniform_indices``): the clip is cut into ``frames``
  equal segments; training takes one random frame per segment (TSN-style, as DFER-CLIP and
  Former-DFER do), evaluation the middle frame of each segment; a clip shorter than ``frames``
  gives every frame with the last one repeated (``video_io.sample_indices``);
- spatial: training takes one random-resized crop box per clip (area ``crop_scale``, aspect
  ``crop_ratio``), a horizontal flip with p = 0.5 and a light brightness / contrast / saturation
  jitter, the same for every frame of the clip; evaluation a centre square crop;
- every frame is first resized so its short side is ``input_size`` (that is what the cache holds).

Randomness is a pure function of ``(seed, epoch, index)`` (``EpochBatches`` hands the epoch to
the workers with each index), so a run resumed at epoch k sees exactly the crops and frames an
uninterrupted run would, whatever the number of workers.

An unreadable clip (missing / truncated / undecodable frame or video) is not fatal: its item
comes back as a ``Skipped`` record, ``collate_clips`` drops it from the batch and the training
loop reports it with its reason.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from argen_rl.types import Clip
from argen_rl.video_io import FrameReadError, read_image, read_video, sample_indices

Key = tuple[int, int]   # (clip index, epoch); evaluation ignores the epoch


# -- temporal sampling ------------------------------------------------------------------------------
def segment_indices(n_frames: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Training: ``n`` equal segments over the clip, one uniformly random frame from each."""
    if n_frames < n:
        return sample_indices(n_frames, n)
    edges = np.linspace(0, n_frames, n + 1)
    lo = np.floor(edges[:-1]).astype(int)
    hi = np.maximum(np.floor(edges[1:]).astype(int), lo + 1)
    return lo + np.floor(rng.random(n) * (hi - lo)).astype(int)


def uniform_indices(n_frames: int, n: int) -> np.ndarray:
    """Evaluation: the middle frame of each of ``n`` equal segments (deterministic)."""
    if n_frames < n:
        return sample_indices(n_frames, n)
    return np.floor((np.arange(n) + 0.5) * n_frames / n).astype(int)


# -- spatial transforms -----------------------------------------------------------------------------
def random_resized_box(h: int, w: int, rng: np.random.Generator, scale: tuple[float, float],
                       ratio: tuple[float, float]) -> tuple[int, int, int, int]:
    """(y0, x0, height, width) of a random crop covering ``scale`` of the area with aspect ratio
    in ``ratio`` (log-uniform); 10 tries, then the centre square (torchvision's algorithm)."""
    area = h * w
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(*log_r))
        cw, ch = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
    return center_box(h, w)


def center_box(h: int, w: int) -> tuple[int, int, int, int]:
    """The centred square of side min(h, w)."""
    s = min(h, w)
    return (h - s) // 2, (w - s) // 2, s, s


def resize_short_side(frame: np.ndarray, side: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if min(h, w) == side:
        return frame
    k = side / min(h, w)
    size = (max(side, int(round(w * k))), max(side, int(round(h * k))))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)


def color_jitter(frames: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Brightness, contrast and saturation factors each in [1 - s, 1 + s], one draw per clip
    (torchvision's definitions: contrast blends with the frame's mean grey, saturation with its
    grey image). Saturating uint8 OpenCV ops: ~5x faster than the float32 formulas."""
    b, c, s = rng.uniform(1 - strength, 1 + strength, size=3)
    out = np.empty_like(frames)
    for t, f in enumerate(frames):
        mean = float(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).mean())
        x = cv2.addWeighted(f, b * c, f, 0.0, b * mean * (1 - c))          # (b*f - b*m)*c + b*m
        gray = cv2.cvtColor(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        out[t] = cv2.addWeighted(x, s, gray, 1 - s, 0.0)
    return out


# -- the decode cache -------------------------------------------------------------------------------
class FrameCache:
    """LRU of decoded, resized frames bounded in bytes. One per process: every DataLoader worker
    holds its own (budget ``max_bytes`` each). Keys are (file path, short side)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> np.ndarray | None:
        arr = self._items.get(key)
        if arr is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return arr

    def put(self, key: tuple, arr: np.ndarray) -> None:
        if arr.nbytes > self.max_bytes or key in self._items:
            return
        self._items[key] = arr
        self.nbytes += arr.nbytes
        while self.nbytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.nbytes -= old.nbytes

    def __len__(self) -> int:
        return len(self._items)


# -- the dataset ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Augment:
    """Training-time augmentation of one clip (docs/recognition.md gives the sources)."""

    crop_scale: tuple[float, float] = (0.08, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip: bool = True
    jitter: float = 0.4


@dataclass(frozen=True)
class Skipped:
    """An item that could not be decoded."""

    index: int
    clip_id: str
    reason: str


class ClipDataset(Dataset):
    """Clips on disk -> (uint8 frames (T, S, S, 3), class index, item index).

    ``train=True`` samples segments at random and augments; ``train=False`` is deterministic
    (uniform segments, centre crop). Items are keyed by ``(index, epoch)`` (see ``EpochBatches``);
    a plain int key means epoch 0.
    """

    def __init__(self, clips: Sequence[Clip], frames: int = 16, size: int = 112, train: bool = False,
                 augment: Augment | None = None, seed: int = 0, cache_mb: float = 256) -> None:
        from argen_rl.types import EMOTIONS7

        bad = [c.clip_id for c in clips if c.emotion not in EMOTIONS7]
        if bad:
            raise ValueError(f"recognition uses the 7 basic emotions; clips {bad[:3]} are labelled otherwise")
        self.clips = list(clips)
        self.labels = np.array([c.emotion.index for c in self.clips], dtype=np.int64)
        self.frames, self.size, self.train = int(frames), int(size), bool(train)
        self.augment = augment or Augment()
        self.seed = int(seed)
        self.cache = FrameCache(int(cache_mb * 2**20))

    def __len__(self) -> int:
        return len(self.clips)

    def _frame(self, path, side: int) -> np.ndarray:
        key = (str(path), side)
        arr = self.cache.get(key)
        if arr is None:
            arr = resize_short_side(read_image(path), side)
            self.cache.put(key, arr)
        return arr

    def _video(self, path, side: int) -> np.ndarray:
        key = (str(path), side)
        arr = self.cache.get(key)
        if arr is None:
            video, _fps = read_video(path)
            arr = np.stack([resize_short_side(f, side) for f in video])
            self.cache.put(key, arr)
        return arr

    def decode(self, clip: Clip, rng: np.random.Generator | None) -> np.ndarray:
        """The sampled frames of ``clip``, short side = ``size``: uint8 (T, h, w, 3)."""
        s = self.size
        if clip.frames is not None:
            if not clip.frames:
                raise FrameReadError(f"clip {clip.clip_id} has no frames")
            n = len(clip.frames)
            idx = segment_indices(n, self.frames, rng) if rng is not None else uniform_indices(n, self.frames)
            decoded = {i: self._frame(clip.frames[i], s) for i in dict.fromkeys(idx.tolist())}
            frames = [decoded[i] for i in idx.tolist()]
            h, w = frames[0].shape[:2]
            frames = [f if f.shape[:2] == (h, w) else cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)
                      for f in frames]
            return np.stack(frames)
        video = self._video(clip.video_path, s)
        n = len(video)
        idx = segment_indices(n, self.frames, rng) if rng is not None else uniform_indices(n, self.frames)
        return video[idx]

    def transform(self, frames: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """Crop to S x S (random-resized in training, centre at test), flip, jitter."""
        h, w = frames.shape[1:3]
        s = self.size
        if rng is None:
            y, x, ch, cw = center_box(h, w)
        else:
            y, x, ch, cw = random_resized_box(h, w, rng, self.augment.crop_scale, self.augment.crop_ratio)
        crop = frames[:, y:y + ch, x:x + cw]
        if (ch, cw) != (s, s):
            crop = np.stack([cv2.resize(f, (s, s), interpolation=cv2.INTER_LINEAR if ch < s else cv2.INTER_AREA)
                             for f in crop])
        if rng is not None:
            if self.augment.flip and rng.random() < 0.5:
                crop = crop[:, :, ::-1]
            if self.augment.jitter > 0:
                crop = color_jitter(crop, self.augment.jitter, rng)
        return np.ascontiguousarray(crop)

    def __getitem__(self, key: Key | int):
        index, epoch = (key, 0) if isinstance(key, (int, np.integer)) else key
        clip = self.clips[index]
        rng = np.random.default_rng([self.seed, epoch, index]) if self.train else None
        hits, misses = self.cache.hits, self.cache.misses
        try:
            frames = self.transform(self.decode(clip, rng), rng)
        except FrameReadError as err:
            return Skipped(int(index), clip.clip_id, str(err))
        return frames, int(self.labels[index]), int(index), (self.cache.hits - hits, self.cache.misses - misses)


def collate_clips(items: list) -> dict:
    """Stack decoded items; ``skipped`` lists (clip id, reason) of the undecodable ones."""
    ok = [it for it in items if not isinstance(it, Skipped)]
    skipped = [(it.clip_id, it.reason) for it in items if isinstance(it, Skipped)]
    if ok:
        frames = torch.from_numpy(np.stack([it[0] for it in ok]))
    else:
        frames = torch.zeros((0, 0, 0, 0, 3), dtype=torch.uint8)
    return {"frames": frames, "labels": torch.tensor([it[1] for it in ok], dtype=torch.long),
            "index": torch.tensor([it[2] for it in ok], dtype=torch.long), "skipped": skipped,
            "cache_hits": sum(it[3][0] for it in ok), "cache_lookups": sum(it[3][0] + it[3][1] for it in ok)}


class EpochBatches(Sampler):
    """Batches of ``(index, epoch)`` keys. ``shuffle``: a permutation seeded by (seed, epoch);
    ``set_epoch`` is called by the training loop before each epoch (this object stays in the main
    process, so it works with persistent workers). In training, a last batch of one clip is left
    out (BatchNorm needs two); it is a different clip every epoch."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int = 0, drop_single: bool = False) -> None:
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), shuffle, int(seed)
        self.drop_single = drop_single
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _order(self) -> torch.Tensor:
        if not self.shuffle:
            return torch.arange(self.n)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(self.n, generator=g)

    def __iter__(self) -> Iterator[list[Key]]:
        for chunk in self._order().split(self.batch_size):
            if self.drop_single and len(chunk) < 2 and self.n >= 2:
                continue
            yield [(int(i), self.epoch) for i in chunk]

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest >= 2 or (rest == 1 and not (self.drop_single and self.n >= 2)) else 0)


def _worker_init(_worker_id: int) -> None:
    cv2.setNumThreads(1)       # one decode thread per worker: workers are the parallelism


def make_loader(dataset: ClipDataset, batch_size: int, shuffle: bool, seed: int = 0, num_workers: int = 0,
                pin_memory: bool = False, prefetch_factor: int = 2) -> DataLoader:
    """A DataLoader over ``EpochBatches``; persistent workers keep their decode caches.

    Workers start from a fork server, not by forking this process: a process whose OpenCV
    thread pool has run (any cv2 call on a large image) can deadlock its forked children's first
    cv2 call. The server preloads this module (torch, cv2) instead of the caller's ``__main__``
    (a Ray worker's, under Tune), so workers start in a fraction of a second."""
    import multiprocessing

    sampler = EpochBatches(len(dataset), batch_size, shuffle, seed, drop_single=shuffle)
    extra = {}
    if num_workers > 0:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        extra = {"prefetch_factor": prefetch_factor, "persistent_workers": True, "worker_init_fn": _worker_init,
                 "multiprocessing_context": ctx}
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_clips, num_workers=num_workers,
                      pin_memory=pin_memory, **extra)
