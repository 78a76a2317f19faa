"""Stage 1: the dataset (the synthetic sample unless a root is configured) and its summary:
class counts, scarce classes (ARGen §3), skipped clips, the class-distribution chart."""
from __future__ import annotations

from pathlib import Path

from argen_rl.demo.runner import DemoRun


def run(run: DemoRun) -> dict:
    from argen_rl.data import (build_sample_dataset, class_counts, read_dataset, scarce_classes,
                               scarce_threshold)
    from argen_rl.data.report import plot_class_distribution, write_counts_csv, write_skipped_csv

    cfg, out = run.cfg.data, run.dir("data")
    if cfg.root:
        root, synthetic = Path(cfg.root).resolve(), False
    else:
        root, synthetic = build_sample_dataset(out / "sample_dfew", "dfew", cfg.sample_seed).resolve(), True
    index = read_dataset(root, progress=run.progress)
    counts = class_counts(index.clips)
    scarce = scarce_classes(counts, ratio=cfg.scarce_ratio)
    thr = scarce_threshold(counts, cfg.scarce_ratio)
    write_counts_csv(out / "class_counts.csv", counts, scarce)
    write_skipped_csv(out / "skipped.csv", index)
    plot_class_distribution(out / "class_distribution.png", counts, scarce, thr,
                            f"{index.name}: {sum(counts.values())} clips" + (" (synthetic sample)" if synthetic else ""))
    return {"root": str(root), "kind": index.name, "synthetic": synthetic, "clips": len(index.clips),
            "skipped": len(index.skipped), "class_counts": {e.value: n for e, n in counts.items()},
            "scarce": [e.value for e in scarce], "scarce_threshold": round(thr, 2),
            "chart": "data/class_distribution.png"}
