"""Stage 4: augmentation with label calibration (argen_rl.augment): the trained policy's greedy
action per context, warp-generated clips for the scarce classes up to the target count, vetted
by the SynFER-style experts, written in the dataset's own layout under <out>/augment/dataset."""
from __future__ import annotations

from argen_rl.demo.runner import DemoRun


def run(run: DemoRun) -> dict:
    from argen_rl.augment.writer import augment, load_manifest

    out = run.dir("augment")
    cfg = run.cfg.augment.model_copy(update={
        "dataset": run.summary("data")["root"], "out": str((out / "dataset").resolve()),
        "contexts": run.summary("asi")["contexts_path"], "build_sample_contexts": False,
        "policy_checkpoint": run.summary("train")["checkpoint"], "seed": run.cfg.seed})
    s = augment(cfg, progress=run.progress)
    records = load_manifest(s.out)
    clips = [{"clip_id": r["clip_id"], "class": r["class"], "label": r["label"], "status": r["status"],
              "context_id": r["context_id"], "subject": r.get("subject", ""), "action": r["action"],
              "path": r.get("path"),
              "calibration": {k: (r["calibration"] or {}).get(k) for k in ("votes", "reason", "mean_probs")}}
             for r in records]
    return {"root": str(s.out), "per_class": s.per_class, "totals": s.totals,
            "calibration": cfg.calibration.model_dump(mode="json"),
            "generation": cfg.generation.model_dump(mode="json"), "clips": clips}
