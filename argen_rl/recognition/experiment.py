"""The paper's recognition experiment: each baseline trained on the original training set and on
original + generated clips, evaluated on the same original test clips, DFEW folds averaged.

Table layout (ARGen Table 2): Method | Data | WAR | UAR | AR-SU | AR-DI | AR-FE, the augmented
row of each method carrying its delta to the original row.
"""
from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from argen_rl.io_utils import atomic_write_json, atomic_write_text
from argen_rl.recognition.eval import RecognitionMetrics
from argen_rl.recognition.models import DISPLAY_NAMES
from argen_rl.recognition.train import (RecognitionConfig, evaluate, load_clips, stratified_subset,
                                        train_model)
from argen_rl.types import EMOTIONS7, Clip, Emotion

SCARCE = (Emotion.SURPRISE, Emotion.DISGUST, Emotion.FEAR)
SHORT = {Emotion.SURPRISE: "AR-SU", Emotion.DISGUST: "AR-DI", Emotion.FEAR: "AR-FE"}
COLUMNS = ("WAR", "UAR", "AR-SU", "AR-DI", "AR-FE")


@dataclass
class FoldResult:
    model: str
    data: str                 # "original" | "augmented"
    fold: str
    metrics: RecognitionMetrics
    history: list[dict]
    n_train: int
    n_test: int
    seconds: float
    skipped: dict[str, str] = field(default_factory=dict)


def _seven_class(clips: Sequence[Clip]) -> list[Clip]:
    return [c for c in clips if c.emotion in EMOTIONS7]


def evaluation_splits(index, folds: Sequence[int] | None = None) -> list[tuple[str, list[Clip], list[Clip]]]:
    """(fold name, train, test) per DFEW fold (all folds present by default), or the reader's
    single train/test split for datasets without folds (FERV39k)."""
    from argen_rl.data import dfew_split

    clips = _seven_class(index.clips)
    present = sorted({c.fold for c in clips if c.fold is not None})
    if present:
        folds = list(folds) if folds else present
        missing = sorted(set(folds) - set(present))
        if missing:
            raise ValueError(f"{index.name}: fold(s) {missing} have no test clips (present: {present})")
        return [(str(k), *map(_seven_class, dfew_split(index, k))) for k in folds]
    train = [c for c in clips if c.split == "train"]
    test = [c for c in clips if c.split == "test"]
    if not train or not test:
        raise ValueError(f"{index.name}: no folds and no train/test split; recognition needs one "
                         "(DFEW layout with 5 folds, or FERV39k's train/test lists)")
    return [("test", train, test)]


def run_recognition(original_root: Path, augmented_root: Path | None, models: Sequence[str],
                    cfg: RecognitionConfig, folds: Sequence[int] | None = None,
                    max_test_clips: int | None = None, progress: bool = True) -> list[FoldResult]:
    """Train and evaluate every model on every fold, on original and (if given) augmented data.

    The augmented run uses the same original training clips (the same ``max_clips`` subset)
    plus every clip that only the augmented root lists in that fold's training split; testing
    always uses the original root's test clips, so generated clips never reach a test set.
    """
    from argen_rl.data import read_dataset

    original = read_dataset(Path(original_root), progress=progress)
    augmented = read_dataset(Path(augmented_root), progress=progress) if augmented_root else None
    cache: dict = {}
    results: list[FoldResult] = []
    for fold, train, test in evaluation_splits(original, folds):
        train = stratified_subset(train, cfg.max_clips, cfg.seed)
        test = stratified_subset(test, max_test_clips, cfg.seed)
        test_ids = {c.clip_id for c in test}
        variants = [("original", train)]
        if augmented is not None:
            known = {c.clip_id for c in original.clips}
            extra = [c for c in _seven_class(augmented.clips)
                     if c.clip_id not in known and c.clip_id not in test_ids]
            if fold.isdigit() and augmented.train_sets:
                # the augmented root's own train CSVs decide: a clip generated from a frame of
                # fold k's test clip is left out of fold k's training (no identity leak)
                from argen_rl.data import dfew_split

                trains_k = {c.clip_id for c in dfew_split(augmented, int(fold))[0]}
                extra = [c for c in extra if c.clip_id in trains_k]
            if not extra and not any(c.clip_id not in known for c in augmented.clips):
                raise ValueError(f"{augmented_root}: lists no clip beyond the original dataset's")
            variants.append(("augmented", train + extra))
        test_data = load_clips(test, cfg.frames, cfg.input_size, progress, cache)
        for data_name, train_clips in variants:
            train_data = load_clips(train_clips, cfg.frames, cfg.input_size, progress, cache)
            for model_name in models:
                t0 = time.perf_counter()
                model, history = train_model(cfg.model_copy(update={"model": model_name}), train_data, progress)
                metrics = evaluate(model, test_data)
                results.append(FoldResult(model_name, data_name, fold, metrics, history,
                                          len(train_data.labels), len(test_data.labels),
                                          time.perf_counter() - t0,
                                          {**train_data.skipped, **test_data.skipped}))
    return results


def summarize(results: Sequence[FoldResult]) -> list[dict]:
    """One row per (model, data): fold-averaged metrics in %, deltas for augmented rows."""
    rows: list[dict] = []
    keys = list(dict.fromkeys((r.model, r.data) for r in results))
    for model, data in keys:
        rs = [r for r in results if (r.model, r.data) == (model, data)]
        row = {"Method": DISPLAY_NAMES.get(model, model), "model": model, "Data": data,
               "folds": len(rs), "n_train": int(np.mean([r.n_train for r in rs])),
               "n_test": int(np.mean([r.n_test for r in rs])),
               "sec_per_epoch": float(np.mean([h["seconds"] for r in rs for h in r.history]))}
        row["WAR"] = 100 * float(np.mean([r.metrics.war for r in rs]))
        row["UAR"] = 100 * float(np.mean([r.metrics.uar for r in rs]))
        for e in EMOTIONS7:
            vals = [r.metrics.recall[e] for r in rs if not np.isnan(r.metrics.recall[e])]
            row[SHORT.get(e, f"AR-{e.value}")] = 100 * float(np.mean(vals)) if vals else float("nan")
        rows.append(row)
    base = {r["model"]: r for r in rows if r["Data"] == "original"}
    for row in rows:
        if row["Data"] == "augmented" and row["model"] in base:
            for c in COLUMNS:
                row[f"d{c}"] = row[c] - base[row["model"]][c]
    return rows


def _cell(row: dict, col: str) -> str:
    v = row[col]
    if np.isnan(v):
        return "n/a"
    d = row.get(f"d{col}")
    return f"{v:.2f}" if d is None or np.isnan(d) else f"{v:.2f} ({d:+.2f})"


def to_markdown(rows: Sequence[dict]) -> str:
    """The paper's table layout; augmented rows show the delta to the original row."""
    lines = ["| Method | Data | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for row in rows:
        data = "Original" if row["Data"] == "original" else "+ARGen"
        lines.append(f"| {row['Method']} | {data} | " + " | ".join(_cell(row, c) for c in COLUMNS) + " |")
    return "\n".join(lines)


def write_results(results: Sequence[FoldResult], out_dir: Path) -> dict[str, Path]:
    """recognition.csv (summary rows), recognition.md (table), recognition_folds.json (per fold)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = summarize(results)
    fields = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    paths = {"csv": atomic_write_text(out_dir / "recognition.csv", buf.getvalue()),
             "md": atomic_write_text(out_dir / "recognition.md", to_markdown(rows) + "\n")}
    per_fold = [{"model": r.model, "data": r.data, "fold": r.fold, "n_train": r.n_train,
                 "n_test": r.n_test, "seconds": r.seconds, **r.metrics.as_row(),
                 "confusion": r.metrics.confusion.tolist(), "history": r.history,
                 "skipped": r.skipped} for r in results]
    paths["json"] = atomic_write_json(out_dir / "recognition_folds.json", per_fold)
    return paths
