"""Run the demo's stages in order, each into its own folder, resuming from the last finished one.

A stage is finished when ``<out>/<stage>/stage.json`` exists (written atomically, last) and
records the same config fingerprint as now; finished stages are skipped. The first stage that
must run discards its folder (a half-written previous attempt) and every later stage runs again
too, since its inputs may have changed. ``fresh=True`` redoes everything.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tqdm.auto import tqdm

from argen_rl.demo.config import DemoConfig
from argen_rl.io_utils import atomic_write_json

MARKER = "stage.json"


@dataclass
class DemoRun:
    """What a stage gets: the run folder, the config and the summaries of earlier stages."""

    out: Path
    cfg: DemoConfig
    progress: bool = True
    summaries: dict[str, dict] = field(default_factory=dict)

    def dir(self, stage: str) -> Path:
        d = self.out / stage
        d.mkdir(parents=True, exist_ok=True)
        return d

    def summary(self, stage: str) -> dict:
        if stage not in self.summaries:
            raise RuntimeError(f"stage {stage!r} has not run yet (its {MARKER} is missing)")
        return self.summaries[stage]


@dataclass(frozen=True)
class Stage:
    name: str
    """Folder name under the run folder and key in report.json."""
    title: str
    """What the overall progress bar shows."""
    run: Callable[[DemoRun], dict]
    """Does the work, writes files under ``run.dir(name)``, returns a JSON-able summary."""
    sections: tuple[str, ...]
    """Config sections the stage reads (their values make up its fingerprint)."""


def jsonable(obj: Any) -> Any:
    """numpy scalars/arrays -> Python numbers/lists, NaN/inf -> None (strict JSON for report.json)."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def fingerprint(cfg: DemoConfig, sections: tuple[str, ...]) -> str:
    data = cfg.model_dump(mode="json")
    blob = json.dumps({"seed": data["seed"], **{s: data[s] for s in sections}}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def finished(out: Path, stage: Stage, cfg: DemoConfig) -> dict | None:
    """The stored marker if the stage finished with the current config, else None."""
    path = out / stage.name / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return marker if marker.get("fingerprint") == fingerprint(cfg, stage.sections) else None


def run_stages(stages: list[Stage], run: DemoRun, fresh: bool = False,
               log: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    """Run (or skip) every stage; returns {stage: marker} with seconds and summaries."""
    markers: dict[str, dict[str, Any]] = {}
    redo = fresh
    bar = tqdm(stages, desc="demo", unit="stage", disable=not run.progress, position=0)
    if run.progress:     # print above the bars instead of through them
        log = tqdm.write
    for stage in bar:
        bar.set_description(f"demo [{stage.title}]")
        marker = None if redo else finished(run.out, stage, run.cfg)
        if marker is not None:
            log(f"[demo] {stage.name}: finished earlier ({marker['seconds']:.1f} s), skipped")
            marker["skipped"] = True
        else:
            redo = True
            if (run.out / stage.name).exists():
                shutil.rmtree(run.out / stage.name)
            log(f"[demo] {stage.name}: {stage.title} ...")
            t0 = time.perf_counter()
            summary = stage.run(run)
            seconds = time.perf_counter() - t0
            marker = {"stage": stage.name, "seconds": round(seconds, 2),
                      "fingerprint": fingerprint(run.cfg, stage.sections),
                      "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                      "summary": jsonable(summary)}
            atomic_write_json(run.dir(stage.name) / MARKER, marker)
            log(f"[demo] {stage.name}: done in {seconds:.1f} s")
            marker["skipped"] = False
        run.summaries[stage.name] = marker["summary"]
        markers[stage.name] = marker
    bar.close()
    return markers
