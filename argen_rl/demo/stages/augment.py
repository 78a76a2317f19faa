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
            "generation": cfg.generation.model_dump(mode="json"), "clips": clips,
            "strips": write_strips(run, cfg)}


def write_strips(run: DemoRun, cfg) -> dict:
    """One clip per emotion on the first ASI identity (a real face), frames side by side:
    augment/expression_strips.png (the report's "Expression strips")."""
    from argen_rl.asi.contexts import load_contexts
    from argen_rl.generation.registry import make_generator
    from argen_rl.generation.strips import emotion_strips
    from argen_rl.video_io import read_image, write_image

    ctx = load_contexts(run.summary("asi")["contexts_path"])[0]
    gen = make_generator(cfg.generation.generator, cfg.generation.generator_config)
    image, rows = emotion_strips(gen, read_image(ctx.identity_image), seed=run.cfg.seed,
                                 frames=cfg.generation.frames, size=cfg.generation.size)
    write_image(run.dir("augment") / "expression_strips.png", image)     # atomic (temp file, rename)
    return {"image": "augment/expression_strips.png", "identity": str(ctx.identity_image),
            "generator_id": gen.generator_id, "rows": rows}
