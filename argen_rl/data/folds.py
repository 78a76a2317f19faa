"""DFEW's 5-fold protocol: set_k's test split is the clips whose ``Clip.fold == k``; its train
split is every other clip that set_k's train CSV lists (for DFEW itself: every other clip)."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from argen_rl.data.index import DatasetIndex
from argen_rl.types import Clip

N_FOLDS = 5


def dfew_split(index: DatasetIndex, fold: int) -> tuple[list[Clip], list[Clip]]:
    """(train, test) clips of DFEW fold ``fold`` (1..5), as copies with ``split`` filled in."""
    if not 1 <= fold <= N_FOLDS:
        raise ValueError(f"DFEW fold must be 1..{N_FOLDS}, got {fold}")
    if not any(c.fold is not None for c in index.clips):
        raise ValueError(f"{index.name}: no clip has a fold (not a DFEW index?)")
    # a clip trains fold k when fold k does not test it and, where the train CSVs were read,
    # set_k's train CSV lists it (augmented clips skip the fold that tests their source clip)
    def trains(c: Clip) -> bool:
        sets = index.train_sets.get(c.clip_id)
        return c.fold != fold and (sets is None or fold in sets)

    train = [dataclasses.replace(c, split="train") for c in index.clips if trains(c)]
    test = [dataclasses.replace(c, split="test") for c in index.clips if c.fold == fold]
    return train, test


def dfew_folds(index: DatasetIndex) -> Iterator[tuple[int, list[Clip], list[Clip]]]:
    """Yield (fold, train, test) for folds 1..5."""
    for k in range(1, N_FOLDS + 1):
        yield (k, *dfew_split(index, k))
