"""Stage 2: ASI (ARGen §3.2) with the template writer: identity frames -> AU-grounded prompts ->
contexts.jsonl + embeddings."""
from __future__ import annotations

from pathlib import Path

from argen_rl.demo.runner import DemoRun


def run(run: DemoRun) -> dict:
    from argen_rl.asi.pipeline import run_asi

    cfg = run.cfg.asi.model_copy(update={"seed": run.cfg.seed})
    result = run_asi(Path(run.summary("data")["root"]), run.dir("asi"), cfg, progress=run.progress)
    s = result.summary
    return {"contexts_path": str(result.contexts_path.resolve()),
            **{k: s[k] for k in ("scarce", "identities", "frames_checked", "frames_rejected", "writer",
                                 "contexts", "contexts_per_emotion", "fallback_prompts", "hallucination",
                                 "timings")},
            "example_prompts": {c.emotion.value: c.prompt for c in result.contexts},
            "identities_sheet": "asi/identities_sheet.png"}
