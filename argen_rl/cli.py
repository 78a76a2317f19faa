"""`argen` command line: one subcommand (group) per pipeline stage.

Each stage registers its own Typer sub-app from its package (``argen_rl/<stage>/cli.py``);
this file only composes them, so adding a stage never touches another stage's code.
"""
from __future__ import annotations

import os

import typer

os.environ.setdefault("HF_HUB_OFFLINE", "1")   # model hubs are never reached: every model is local

from argen_rl.cli_errors import OneLineErrors

app = typer.Typer(
    name="argen",
    cls=OneLineErrors,   # every subcommand: ConfigError / FileNotFoundError / ValueError -> one line, exit 2
    help="ARGen-RL: generate identity-preserving expression videos for the scarce emotions of a "
    "long-tailed facial-expression dataset, with a learned policy choosing how each is generated.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
# Stage sub-apps, in pipeline order. Each line: from argen_rl.<stage>.cli import app as <x>; app.add_typer(...)
from argen_rl.data.cli import app as data_app  # noqa: E402
app.add_typer(data_app, name="data")
from argen_rl.asi.cli import app as asi_app  # noqa: E402
app.add_typer(asi_app, name="asi")
from argen_rl.generation.cli import app as generate_app
app.add_typer(generate_app, name="generate")
from argen_rl.train.cli import app as train_app
app.add_typer(train_app, name="train")
from argen_rl.ablation.cli import app as tune_app  # noqa: E402
app.add_typer(tune_app, name="tune")
from argen_rl.augment.cli import app as augment_app  # noqa: E402
app.add_typer(augment_app, name="augment")
from argen_rl.calibration.cli import calibrate_command  # noqa: E402
app.command("calibrate")(calibrate_command)
from serve.cli import serve_command  # noqa: E402
app.command("serve")(serve_command)
from argen_rl.recognition.cli import app as recognize_app
app.add_typer(recognize_app, name="recognize")
from argen_rl.metrics.cli import app as metrics_app
app.add_typer(metrics_app, name="metrics")
from argen_rl.demo.cli import demo_command  # noqa: E402
app.command("demo")(demo_command)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
