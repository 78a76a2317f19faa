"""Recognition experiment entry point (ARGen Table 2): baselines trained on the original data and
on original + ARGen clips, DFEW folds averaged; prints the table and writes CSV + Markdown.

    python experiments/recognition.py --data DFEW_ROOT --augmented AUG_ROOT --out runs/recognition
    # a quick CPU run on the sample dataset:
    python experiments/recognition.py --data SAMPLE_ROOT --models res18_transformer --epochs 5 \\
        --input-size 64 --frames 8 --width 16

Same options as ``argen recognize run``; also usable with ``ray job submit -- python ...``.
"""
from __future__ import annotations

from argen_rl.recognition.cli import run

if __name__ == "__main__":
    import typer

    typer.run(run)
