"""Label calibration before / after issue 12, measured by the held-out judge on warp clips of real faces.

    python benchmarks/calibration_bench.py                       # held-out faces, 3 ASI draws (the headline)
    python benchmarks/calibration_bench.py --splits tuning       # the faces settings may be chosen on
    python benchmarks/calibration_bench.py --quick               # CI smoke: 1 held-out face, 1 draw
    python benchmarks/calibration_bench.py --json out.json --sheet sheet.jpg

Clips: for every face of the split (``data.wheel_faces``) x scarce emotion (surprise, fear,
disgust) x ASI-style intensity draw (``expression_bench.intensity_sets``: the knowledge base's
prototype AUs at intensities sampled as ASI writes them), one clip of the default generator
(``make_generator("warp")``, i.e. whatever main's warp is) with the augmentation run's default
fixed action (``augment.config.ActionConfig``: S=8, a=b=2) at 224 px x 16 frames, as
``argen augment`` makes them. Each clip is judged by two calibrators, the same clip for both:

- ``before``: the calibrator of main before issue 12 (experts fer + au_geometric, rule
  any_agree, min_prob 0.25, min_agree 1);
- ``mean``: issue 12's first rule, every expert voting on every label (``abstain: {}``);
- ``after``: ``CalibrationConfig()`` (experts fer + au on the pls reader, rule mean,
  min_mean_prob 0.5, FER2013's net abstaining on disgust, which it cannot recognise on real
  faces). No recognizer: there is no original dataset here to train one on.

The held-out judge (facex, ``metrics.judge.held_out_judge``) reads each clip at the generator's
apex frame; it never chose anything here. ``precision`` = kept clips the judge reads as their
label / kept clips; ``yield`` = kept / all clips; ``base rate`` = all clips the judge reads as
their label (what keeping everything would give). Done when (issue 12): after, on the held-out
faces, precision >= 0.90 with yield >= 0.50.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EMOTIONS = ("surprise", "fear", "disgust")
BEFORE = dict(experts=["fer", "au_geometric"], rule="any_agree", min_prob=0.25, min_agree=1)


@dataclass
class Row:
    split: str
    face: str
    emotion: str
    draw: int
    aus: dict
    judge_reads: bool          # facex top-1 at the apex is the label
    judge_top: str
    kept: dict                 # calibrator name -> kept
    mean_p: dict               # calibrator name -> ensemble mean p(label)
    seconds: dict              # calibrator name -> judging time


def make_clips(faces, emotions, samples: int, seed: int):
    """(face, emotion, draw, aus, video) for every request, generated with the augmentation defaults."""
    from expression_bench import intensity_sets

    from argen_rl.asi.kb import load_kb
    from argen_rl.augment.config import ActionConfig
    from argen_rl.generation.registry import make_generator
    from argen_rl.types import Emotion, GenParams, GenRequest

    kb, act, gen = load_kb(), ActionConfig(), make_generator("warp")
    for face in faces:
        for e in emotions:
            emotion = Emotion.parse(e)
            draws = [aus for letter, aus in intensity_sets(emotion, kb, samples, seed) if letter == "asi"]
            for k, aus in enumerate(draws):
                req = GenRequest(face.image, f"a {e} face", emotion, aus,
                                 GenParams(steps=act.steps, a=act.a, b=act.b, frames=16, size=224, seed=seed + k))
                yield face, e, k, aus, gen.generate([req])[0]


def calibrators() -> dict:
    from argen_rl.calibration import CalibrationConfig, LabelCalibrator, make_experts

    out = {}
    for name, cfg in (("before", CalibrationConfig(**BEFORE)), ("mean", CalibrationConfig(abstain={})),
                      ("after", CalibrationConfig())):
        out[name] = LabelCalibrator(make_experts(cfg), cfg)
    return out


def table(rows: list[Row], split: str, names) -> list[str]:
    sel = [r for r in rows if r.split == split]
    head = (f"{'emotion':9s} | clips | base rate | " + " | ".join(f"{n}: kept  yield  precision" for n in names))
    lines = [head, "-" * len(head)]
    for e in (*EMOTIONS, "all"):
        rs = [r for r in sel if e == "all" or r.emotion == e]
        if not rs:
            continue
        base = sum(r.judge_reads for r in rs)
        cells = []
        for n in names:
            kept = [r for r in rs if r.kept[n]]
            good = sum(r.judge_reads for r in kept)
            prec = f"{good / len(kept):.2f} ({good}/{len(kept)})" if kept else "   -     "
            cells.append(f"{len(kept):9d}  {len(kept) / len(rs):.2f}  {prec:>10s}")
        lines.append(f"{e:9s} | {len(rs):5d} | {base / len(rs):.2f} ({base:2d}) | " + " | ".join(cells))
    return lines


def sweep(rows: list[Row], split: str, name: str = "after") -> list[str]:
    """Yield / precision if the keep threshold on the ensemble mean were t (label must be top-1
    too, so only clips the calibrator kept at its own default or with p >= t are re-scored)."""
    sel = [r for r in rows if r.split == split]
    lines = [f"{name}: keep when mean p(label) >= t (and top-1); the default is 0.5, chosen before this was run"]
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        kept = [r for r in sel if r.mean_p[name] >= t and r.mean_p.get(name + "_top1", False)]
        good = sum(r.judge_reads for r in kept)
        prec = f"{good / len(kept):.2f}" if kept else "-"
        lines.append(f"  t={t:.1f}: kept {len(kept):3d}/{len(sel)}  yield {len(kept) / max(len(sel), 1):.2f}  precision {prec}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splits", default="held_out", help="face splits (comma list): held_out, tuning")
    ap.add_argument("--asi-samples", type=int, default=3, help="ASI intensity draws per face x emotion")
    ap.add_argument("--quick", action="store_true", help="CI size: one held-out face, one draw")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="write every row here")
    ap.add_argument("--sheet", type=Path, default=None, help="apex frames with label / judge / kept (before, mean, after)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from argen_rl.data.wheel_faces import wheel_faces
    from argen_rl.metrics.judge import held_out_judge

    splits = args.splits.split(",")
    faces = [f for s in splits for f in wheel_faces(s)]
    samples = args.asi_samples
    if args.quick:
        faces, samples = faces[:1], 1
    judge, cals = held_out_judge(), calibrators()
    rows: list[Row] = []
    tiles = []
    t0 = time.perf_counter()
    for face, e, k, aus, video in make_clips(faces, EMOTIONS, samples, args.seed):
        apex = int(video.meta["apex_frame"])
        reading = judge.read_clip(video.frames, e, apex=apex)
        kept, mean_p, secs = {}, {}, {}
        for name, cal in cals.items():
            t = time.perf_counter()
            v = cal.judge(video.frames, e)
            secs[name] = time.perf_counter() - t
            kept[name] = v.accepted
            mp = v.mean_probs or [0.0] * 7
            mean_p[name] = mp[reading.label.index]
            mean_p[name + "_top1"] = bool(v.mean_probs) and int(np.argmax(mp)) == reading.label.index
        rows.append(Row(face.split, face.name, e, k, {str(a): round(float(x), 2) for a, x in aus.items()},
                        reading.reads_at_apex, reading.top[apex].value, kept, mean_p, secs))
        tiles.append((video.frames[apex], f"{e[:4]} j:{reading.top[apex].value[:4]} "
                                          f"B{'+' if kept['before'] else '-'} M{'+' if kept['mean'] else '-'} "
                                          f"A{'+' if kept['after'] else '-'}"))
        print(f"  {face.name:20s} {e:8s} #{k} judge={reading.top[apex].value:8s} "
              + " ".join(f"{n}={'keep' if kept[n] else 'drop'}(p {mean_p[n]:.2f})" for n in cals), flush=True)

    names = list(cals)
    for split in splits:
        print(f"\n=== {split} faces: warp clips (augmentation defaults), {samples} ASI draw(s) per face x emotion;"
              f" precision / yield by the held-out judge (facex) ===")
        for line in table(rows, split, names):
            print(line)
        print()
        for line in sweep(rows, split):
            print(line)
    per = {n: float(np.median([r.seconds[n] for r in rows])) for n in names}
    print(f"\njudging time per 16-frame 224^2 clip (median of {len(rows)}): "
          + ", ".join(f"{n} {per[n]:.2f} s" for n in names) + f"; ratio after/before {per['after'] / per['before']:.2f}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows]))
        print(f"wrote {args.json}")
    if args.sheet:
        from expression_bench import labelled_sheet

        labelled_sheet(args.sheet, tiles, per_row=9, side=160)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
