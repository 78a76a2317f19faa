"""The paper's recognition experiment: each baseline trained on the original training set and on
original + generated clips, evaluated on the same original test clips, DFEW folds averaged.

One *trial* is one (model, fold, data variant). ``plan_folds`` fixes, per fold, the clips every
trial of that fold uses (seeded, so the driver and each Tune trial compute the same plan):

- test: the original root's test clips of the fold (``max_test_clips``: a stratified subset);
- validation: ``val_fraction`` of the original training fold per class (never a test clip,
  never a generated clip), the same for both data variants;
- train: the rest of the original training fold; the augmented variant adds every clip only the
  augmented root lists in that fold's training CSVs, joined with its provenance sidecar
  (``_argen_augment/clips/<id>.json``: generator, calibration status, source clip). A generated
  clip whose identity frame came from a validation clip is left out (it would leak that face
  into validation), as the augmentation writer already leaves out test-fold sources.

``run_trial`` trains and tests one trial; ``run_recognition`` runs every trial in this process
(the demo); ``argen_rl.recognition.grid.run_grid`` runs them as Ray Tune trials.

Table layout (ARGen Table 2): Method | Data | WAR | UAR | AR-SU | AR-DI | AR-FE, mean ± std over
folds, the augmented row of each method carrying its delta to the original row.
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from argen_rl.io_utils import atomic_write_json, atomic_write_text
from argen_rl.recognition.eval import RecognitionMetrics
from argen_rl.recognition.models import DISPLAY_NAMES
from argen_rl.recognition.train import (RecognitionConfig, carve_validation, evaluate, stratified_subset,
                                        train_model)
from argen_rl.types import EMOTIONS7, Clip, Emotion

SCARCE = (Emotion.SURPRISE, Emotion.DISGUST, Emotion.FEAR)
SHORT = {Emotion.SURPRISE: "AR-SU", Emotion.DISGUST: "AR-DI", Emotion.FEAR: "AR-FE"}
COLUMNS = ("WAR", "UAR", "AR-SU", "AR-DI", "AR-FE")
VARIANTS = ("original", "augmented")
PROVENANCE_DIR = Path("_argen_augment") / "clips"     # argen_rl.augment.writer's sidecars


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
    n_val: int = 0
    best_epoch: int | None = None
    resumed_from: int | None = None
    generated: dict = field(default_factory=dict)
    """Augmented trials: how many generated clips trained, by generator and calibration status."""

    def to_json(self) -> dict:
        d = asdict(self)
        m = self.metrics
        d["metrics"] = {"war": m.war, "uar": m.uar, "recall": {e.value: r for e, r in m.recall.items()},
                        "confusion": m.confusion.tolist(), "n": m.n}
        return d

    @classmethod
    def from_json(cls, d: dict) -> "FoldResult":
        m = d["metrics"]
        metrics = RecognitionMetrics(m["war"], m["uar"], {Emotion(k): float(v) for k, v in m["recall"].items()},
                                     np.asarray(m["confusion"], dtype=int), m["n"])
        return cls(**{**d, "metrics": metrics})


@dataclass
class FoldPlan:
    """The clips of one fold shared by all its trials (see the module docstring)."""

    fold: str
    train: list[Clip]
    val: list[Clip]
    test: list[Clip]
    generated: list[Clip] = field(default_factory=list)
    provenance: dict[str, dict] = field(default_factory=dict)
    """Generated clip id -> its sidecar summary (generator, status, source clip, context)."""
    left_out: dict[str, str] = field(default_factory=dict)
    """Generated clip id -> why it does not train this fold."""

    def train_clips(self, data: str) -> list[Clip]:
        return self.train + (self.generated if data == "augmented" else [])

    def ids(self) -> dict:
        """Clip ids per role (written to splits.json: what exactly each trial saw)."""
        return {"train": [c.clip_id for c in self.train], "val": [c.clip_id for c in self.val],
                "test": [c.clip_id for c in self.test], "generated": [c.clip_id for c in self.generated],
                "generated_left_out": self.left_out}


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


def read_provenance(augmented_root: Path) -> tuple[dict[str, dict], list[str]]:
    """Sidecars of an augmentation output keyed by the id ``read_dataset`` gives each clip;
    unreadable sidecars are listed (one line each), not fatal."""
    out, problems = {}, []
    folder = Path(augmented_root) / PROVENANCE_DIR
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
            prov = rec.get("provenance") or {}
            out[str(rec.get("index_id") or rec["clip_id"])] = {
                "clip_id": rec["clip_id"], "status": rec.get("status"), "label": rec.get("label"),
                "generator_id": prov.get("generator_id"), "source_clip": rec.get("source_clip") or None,
                "context_id": rec.get("context_id"), "action": rec.get("action")}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            problems.append(f"{p.name}: unreadable provenance sidecar ({type(err).__name__}: {err})")
    return out, problems


def plan_folds(original_root: Path, augmented_root: Path | None, cfg: RecognitionConfig,
               folds: Sequence[int] | None = None, max_test_clips: int | None = None,
               progress: bool = True) -> list[FoldPlan]:
    """The per-fold clip lists (module docstring); deterministic given ``cfg.seed``."""
    from argen_rl.data import dfew_split, read_dataset

    original = read_dataset(Path(original_root), progress=progress)
    augmented = read_dataset(Path(augmented_root), progress=progress) if augmented_root else None
    provenance: dict[str, dict] = {}
    if augmented is not None:
        provenance, _problems = read_provenance(Path(augmented_root))
        known = {c.clip_id for c in original.clips}
        if not any(c.clip_id not in known for c in augmented.clips):
            raise ValueError(f"{augmented_root}: lists no clip beyond the original dataset's")
    plans = []
    for fold, train, test in evaluation_splits(original, folds):
        pool = stratified_subset(train, cfg.max_clips, cfg.seed)
        train_o, val = carve_validation(pool, cfg.val_fraction, cfg.seed)
        test = stratified_subset(test, max_test_clips, cfg.seed)
        plan = FoldPlan(fold, train_o, val, test)
        if augmented is not None:
            test_ids, val_ids = {c.clip_id for c in test}, {c.clip_id for c in val}
            extra = [c for c in _seven_class(augmented.clips) if c.clip_id not in known and c.clip_id not in test_ids]
            if fold.isdigit() and augmented.train_sets:
                # the augmented root's own train CSVs decide: a clip generated from a frame of
                # fold k's test clip is left out of fold k's training (no identity leak)
                trains_k = {c.clip_id for c in dfew_split(augmented, int(fold))[0]}
                extra = [c for c in extra if c.clip_id in trains_k]
            for c in extra:
                prov = provenance.get(c.clip_id)
                source = (prov or {}).get("source_clip")
                if source in val_ids:
                    plan.left_out[c.clip_id] = f"identity frame from validation clip {source}"
                elif source in test_ids:
                    plan.left_out[c.clip_id] = f"identity frame from test clip {source}"
                else:
                    plan.generated.append(c)
                    plan.provenance[c.clip_id] = prov
        plans.append(plan)
    return plans


def generated_summary(plan: FoldPlan) -> dict:
    provs = [plan.provenance.get(c.clip_id) for c in plan.generated]
    return {"n": len(plan.generated),
            "by_generator": dict(Counter(p["generator_id"] for p in provs if p)),
            "by_status": dict(Counter(p["status"] for p in provs if p)),
            "without_provenance": sum(p is None for p in provs),
            "left_out": plan.left_out}


def run_trial(plan: FoldPlan, model: str, data: str, cfg: RecognitionConfig, *, run_dir: Path | None = None,
              progress: bool = True, tensorboard: bool = True,
              on_epoch: Callable[[dict, Path | None], None] | None = None) -> FoldResult:
    """Train ``model`` on ``plan``'s ``data`` variant, keep its best validation epoch, test it."""
    if data not in VARIANTS:
        raise ValueError(f"data variant must be one of {VARIANTS}, got {data!r}")
    cfg = cfg.model_copy(update={"model": model})
    clips = plan.train_clips(data)
    t0 = time.perf_counter()
    res = train_model(cfg, cfg.dataset(clips, train=True), cfg.dataset(plan.val, train=False) if plan.val else None,
                      run_dir=run_dir, progress=progress, tensorboard=tensorboard, on_epoch=on_epoch)
    metrics, test_skipped = evaluate(res.model, cfg.dataset(plan.test, train=False), cfg)
    train_ids = {c.clip_id for c in clips}
    return FoldResult(model, data, plan.fold, metrics, res.history,
                      n_train=len(clips) - len(train_ids & set(res.skipped)), n_test=metrics.n,
                      seconds=time.perf_counter() - t0, skipped={**res.skipped, **test_skipped},
                      n_val=len(plan.val), best_epoch=res.best_epoch, resumed_from=res.resumed_from,
                      generated=generated_summary(plan) if data == "augmented" else {})


def run_recognition(original_root: Path, augmented_root: Path | None, models: Sequence[str],
                    cfg: RecognitionConfig, folds: Sequence[int] | None = None,
                    max_test_clips: int | None = None, progress: bool = True,
                    run_dir: Path | None = None) -> list[FoldResult]:
    """Every model x fold x data variant in this process, one after another (small runs, the
    demo). ``run_dir``: each trial checkpoints into ``run_dir/<model>_f<fold>_<data>`` and a rerun
    resumes it. For the full table use ``argen recognize run`` (Ray Tune, ``grid.run_grid``)."""
    results: list[FoldResult] = []
    for plan in plan_folds(original_root, augmented_root, cfg, folds, max_test_clips, progress):
        for data in VARIANTS[:2 if augmented_root else 1]:
            for model in models:
                trial_dir = Path(run_dir) / trial_name(model, plan.fold, data) if run_dir else None
                results.append(run_trial(plan, model, data, cfg, run_dir=trial_dir, progress=progress))
    return results


def trial_name(model: str, fold: str, data: str) -> str:
    return f"{model}_f{fold}_{data}"


def _mean_std(vals: list[float]) -> tuple[float, float]:
    vals = [v for v in vals if not np.isnan(v)]
    if not vals:
        return float("nan"), float("nan")
    return float(np.mean(vals)), float(np.std(vals, ddof=1)) if len(vals) > 1 else float("nan")


def summarize(results: Sequence[FoldResult]) -> list[dict]:
    """One row per (model, data), each model's original row first: metrics in %, mean over folds (``<col>``) and sample std
    (``<col>_std``, NaN for one fold); augmented rows carry ``d<col>`` = delta of the means."""
    rows: list[dict] = []
    models = list(dict.fromkeys(r.model for r in results))
    keys = [(m, d) for m in models for d in VARIANTS if any((r.model, r.data) == (m, d) for r in results)]
    for model, data in keys:
        rs = [r for r in results if (r.model, r.data) == (model, data)]
        epochs = [h["time/epoch_s"] for r in rs for h in r.history]
        row = {"Method": DISPLAY_NAMES.get(model, model), "model": model, "Data": data,
               "folds": len(rs), "n_train": int(np.mean([r.n_train for r in rs])),
               "n_val": int(np.mean([r.n_val for r in rs])), "n_test": int(np.mean([r.n_test for r in rs])),
               "sec_per_epoch": float(np.mean(epochs)) if epochs else float("nan")}
        row["WAR"], row["WAR_std"] = _mean_std([100 * r.metrics.war for r in rs])
        row["UAR"], row["UAR_std"] = _mean_std([100 * r.metrics.uar for r in rs])
        for e in EMOTIONS7:
            col = SHORT.get(e, f"AR-{e.value}")
            row[col], row[f"{col}_std"] = _mean_std([100 * r.metrics.recall[e] for r in rs])
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
    s = f"{v:.2f}"
    sd = row.get(f"{col}_std")
    if sd is not None and not np.isnan(sd):
        s += f" ± {sd:.2f}"
    d = row.get(f"d{col}")
    return s if d is None or np.isnan(d) else f"{s} ({d:+.2f})"


def to_markdown(rows: Sequence[dict]) -> str:
    """The paper's table layout (mean ± std over folds); augmented rows show the delta of the
    means to the original row."""
    lines = ["| Method | Data | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for row in rows:
        data = "Original" if row["Data"] == "original" else "+ARGen"
        lines.append(f"| {row['Method']} | {data} | " + " | ".join(_cell(row, c) for c in COLUMNS) + " |")
    return "\n".join(lines)


def order_results(results: Sequence[FoldResult], models: Sequence[str]) -> list[FoldResult]:
    """Fold, then data variant (original first), then the configured model order."""
    def fold_key(f: str):
        return (0, int(f)) if f.isdigit() else (1, f)
    rank = {m: i for i, m in enumerate(models)}
    return sorted(results, key=lambda r: (fold_key(r.fold), VARIANTS.index(r.data), rank.get(r.model, 99)))


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
    per_fold = [{"model": r.model, "data": r.data, "fold": r.fold, "n_train": r.n_train, "n_val": r.n_val,
                 "n_test": r.n_test, "best_epoch": r.best_epoch, "resumed_from": r.resumed_from,
                 "seconds": r.seconds, **r.metrics.as_row(), "confusion": r.metrics.confusion.tolist(),
                 "history": r.history, "skipped": r.skipped, "generated": r.generated} for r in results]
    paths["json"] = atomic_write_json(out_dir / "recognition_folds.json", per_fold)
    return paths
