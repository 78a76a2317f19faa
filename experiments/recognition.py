"""Recognition experiment entry point (ARGen Table 2): baselines trained on the original data and
on original + ARGen clips, DFEW folds averaged, one Ray Tune trial per (model, fold, data);
prints the table and writes CSV + Markdown (docs/recognition.md).

    python experiments/recognition.py -c experiments/configs/recognition_dfew_gpu.yaml
    python experiments/recognition.py -c experiments/configs/recognition_dfew_gpu.yaml --resume
    # the CPU-size grid on the sample dataset:
    python experiments/recognition.py -c experiments/configs/recognition_cpu.yaml \\
        --data SAMPLE_ROOT --augmented AUG_ROOT

Same options as ``argen recognize run``; on a cluster: ``ray job submit -- python ...``.
"""
from __future__ import annotations

from argen_rl.recognition.cli import run

if __name__ == "__main__":
    import typer

    typer.run(run)
