"""``argen generate``: one expression video from a photo, or a plot of the guidance curve.

    argen generate --image face.jpg --emotion surprise             # warp generator, CPU, < 2 s
    argen generate --image face.jpg --emotion fear --aus 1:4,2:4,5:3,20:4,26:3 --steps 8 --seed 3
    argen generate --plot-curve --a 2 --b 5                         # ARGen Eq. 12 as a PNG

Imports are lazy: the command's cold start is dominated by mediapipe and OpenCV, not by this
package.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="Generate an expression video from one face photo (or plot the guidance curve).",
                  invoke_without_command=True, no_args_is_help=False)

_DEFAULT_PROMPT = "a person with a {emotion} facial expression"


def _fail(msg: str, code: int = 2) -> None:   # bad input: exit 2, as argen_rl.cli_errors
    typer.secho(f"error: {msg}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.callback()
def generate(
    image: Optional[Path] = typer.Option(None, "--image", "-i", help="Reference face photo (jpg/png)."),
    emotion: str = typer.Option("surprise", "--emotion", "-e", help="Target emotion (happy, sad, angry, surprise, disgust, fear, neutral)."),
    generator: str = typer.Option("warp", "--generator", "-g", help="Registered generator: warp (CPU) or ti2v (needs --config with model_dir)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML config of the generator (WarpConfig / TI2VConfig fields)."),
    aus: Optional[str] = typer.Option(None, "--aus", help="Target AUs, e.g. '1:4,2:4,26:3' (intensity 0..5); default: the emotion's prototype AUs."),
    intensity: float = typer.Option(4.0, "--intensity", help="FACS intensity (0..5) for AUs given without one / prototype AUs."),
    prompt: Optional[str] = typer.Option(None, "--prompt", help="Prompt (ti2v conditioning; recorded in the sidecar)."),
    out: Path = typer.Option(Path("outputs/generate"), "--out", "-o", help="Output folder."),
    name: Optional[str] = typer.Option(None, "--name", help="File stem (default: <image stem>_<emotion>_s<seed>)."),
    steps: int = typer.Option(10, "--steps", "-S", help="S: keyframes (warp) / denoising steps (ti2v)."),
    a: float = typer.Option(2.0, "--a", help="Curve shape a (ARGen Eq. 12)."),
    b: float = typer.Option(2.0, "--b", help="Curve shape b (ARGen Eq. 12)."),
    w_min: float = typer.Option(7.5, "--w-min", help="Lowest guidance weight (ti2v; plot)."),
    w_max: float = typer.Option(10.5, "--w-max", help="Highest guidance weight (ti2v; plot)."),
    frames: int = typer.Option(16, "--frames", "-F", help="Frames per video."),
    size: int = typer.Option(256, "--size", help="Output side length (square)."),
    seed: int = typer.Option(0, "--seed", help="Seed (same seed, same video)."),
    gif: bool = typer.Option(True, "--gif/--no-gif", help="Also write a GIF."),
    plot_curve: bool = typer.Option(False, "--plot-curve", help="Only plot the guidance curve for --a/--b/--w-min/--w-max to <out>/guidance_curve_a<a>_b<b>.png."),
) -> None:
    """Generate one video (mp4 + GIF + JSON provenance sidecar) or plot the guidance curve."""
    from argen_rl.types import Emotion, GenParams, GenRequest

    try:
        params = GenParams(steps=steps, a=a, b=b, w_min=w_min, w_max=w_max, frames=frames, size=size, seed=seed)
    except ValueError as err:
        _fail(str(err), 2)
    if plot_curve:
        from argen_rl.generation.curve_plot import plot_curve as plot

        png = plot(out / f"guidance_curve_a{a:g}_b{b:g}.png", a, b, w_min, w_max, frames)
        typer.echo(f"wrote {png}")
        return
    if image is None:
        _fail("--image is required (or use --plot-curve)", 2)
    try:
        emo = Emotion.parse(emotion)
    except ValueError as err:
        _fail(str(err), 2)

    from argen_rl.generation.prototypes import parse_aus, prototype_aus

    if aus:
        try:
            target = parse_aus(aus, intensity)
        except ValueError as err:
            _fail(str(err), 2)
        au_source = "--aus"
    else:
        au_list, au_source = prototype_aus(emo)
        target = {au: intensity for au in au_list}

    from argen_rl.video_io import FrameReadError, read_image

    try:
        img = read_image(image)
    except FrameReadError as err:
        _fail(str(err))

    gen_cfg = None
    if config is not None:
        import yaml

        try:
            gen_cfg = yaml.safe_load(config.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            _fail(f"{config}: cannot read config: {err}")

    from argen_rl.generation.provenance import write_video_with_provenance
    from argen_rl.generation.registry import make_generator

    try:
        gen = make_generator(generator, gen_cfg)
    except (ValueError, FileNotFoundError) as err:
        _fail(str(err), 2)
    request = GenRequest(image=img, prompt=prompt or _DEFAULT_PROMPT.format(emotion=emo), emotion=emo,
                         target_aus=target, params=params, context_id=image.stem)
    try:
        video = gen.generate([request])[0]
    except ValueError as err:   # no face, unknown AU, intensity out of range, bad image
        _fail(f"{image}: {err}")
    stem = out / (name or f"{image.stem}_{emo}_s{seed}")
    mp4, gif_path, sidecar = write_video_with_provenance(stem, video, request, gen.generator_id, gif=gif)
    aus_txt = " ".join(f"AU{k}:{v:g}" for k, v in sorted(target.items())) or "none"
    typer.echo(f"{generator} ({gen.generator_id}): {emo}, {aus_txt} [{au_source}]")
    for p in (mp4, gif_path, sidecar):
        if p is not None:
            typer.echo(f"wrote {p}")


if __name__ == "__main__":  # pragma: no cover
    app(sys.argv[1:])
