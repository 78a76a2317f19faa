"""Stage 5: recognition baselines trained on the original data and on original + generated clips,
tested on the same original test clips (argen_rl.recognition, ARGen Table 2 layout)."""
from __future__ import annotations

import math
from pathlib import Path

from argen_rl.demo.runner import DemoRun


def run(run: DemoRun) -> dict:
    from argen_rl.recognition.experiment import run_recognition, summarize, to_markdown, write_results

    cfg = run.cfg.recognition
    train_cfg = cfg.train.model_copy(update={"seed": run.cfg.seed})
    results = run_recognition(Path(run.summary("data")["root"]), Path(run.summary("augment")["root"]),
                              cfg.models, train_cfg, folds=cfg.folds, max_test_clips=cfg.max_test_clips,
                              progress=run.progress)
    write_results(results, run.dir("recognition"))
    rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in summarize(results)]
    return {"rows": rows, "markdown": to_markdown(summarize(results)),
            "train": train_cfg.model_dump(mode="json"), "folds": cfg.folds,
            "note": "synthetic sample dataset: these numbers exercise the code path and say nothing "
                    "about recognition accuracy" if run.summary("data")["synthetic"] else ""}
